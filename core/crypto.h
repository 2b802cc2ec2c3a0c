// SHA-256 and HMAC-SHA256 (OpenSSL) for finding ids, snapshot hashes and secret fingerprints.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace drift {

std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);
std::string RandomBytes(size_t n);
// Base64 (standard or URL-safe alphabet); nullopt when `in` is not base64.
std::optional<std::string> DecodeBase64(std::string_view in);
// Compares without an early exit, for tokens.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace drift
