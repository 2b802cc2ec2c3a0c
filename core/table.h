// Rows with named columns — a SQL result, a CSV or TSV file — as a snapshot (SPEC §2): a
// list of {column: value} maps, or, with `key:` columns, a map keyed by those columns'
// values (nested for several), so rows pair by key across envs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/document.h"
#include "core/result.h"

namespace drift {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<ScalarValue>> rows;
  std::vector<uint32_t> lines;  // 1-based line of each row, when read from text (else empty)
};

// `what` names the table in errors ("postgresql query", "lms.csv").
Result<Document> TableToDocument(const Table& t, const std::vector<std::string>& key,
                                 const std::string& origin, std::string_view what);

// CSV (RFC 4180: `sep` ',', fields may be "quoted", "" is a quote, quoted fields may span
// lines) or TSV (`sep` '\t', no quoting: IANA text/tab-separated-values). The first row is
// the header; every value is a string. Errors name file:line.
Result<Table> ParseDelimited(std::string_view text, char sep, bool quoting,
                             const std::string& origin);

}  // namespace drift
