// SHA-256 and HMAC-SHA256 (OpenSSL) for finding ids, snapshot hashes and secret fingerprints.
#pragma once

#include <string>
#include <string_view>

namespace drift {

std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);
std::string RandomBytes(size_t n);
// Compares without an early exit, for tokens.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace drift
