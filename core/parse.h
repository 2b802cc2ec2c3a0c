// Parsers from snapshot text into a Document: YAML (libfyaml events), JSON (simdjson),
// dotenv, ini, csv and tsv. Errors carry file:line:col and the cause; a parser never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/document.h"
#include "core/result.h"

namespace drift {

enum class Format { kAuto, kYaml, kJson, kEnv, kIni, kCsv, kTsv, kLines };

std::string_view FormatName(Format f);
// "yaml", "json", "env", "ini" (or "properties"), "csv", "tsv", "lines", "auto"; else an
// error. `lines`: a list of the text's non-empty lines, trimmed (`kubectl get ns -o name`).
Result<Format> ParseFormatName(std::string_view name);
// By file extension (.yaml/.yml/.json/.env/.ini/.cfg/.conf/.properties/.csv/.tsv); kAuto
// when unknown.
Format FormatFromPath(std::string_view path);
// By HTTP Content-Type; kAuto when unknown.
Format FormatFromContentType(std::string_view content_type);
// When nothing else says: JSON if the text starts with { or [, else YAML.
Format SniffFormat(std::string_view text);

struct ParseOptions {
  Format format = Format::kAuto;
  std::string origin;        // file path or URL, used in errors and kept in the Document
  bool yaml_1_1 = false;     // yes/no/on/off are booleans (Ansible, PyYAML)
  uint32_t max_depth = 512;  // deeper nesting is an error, not a stack overflow
  // Bytes readable at text.data() (>= text.size()); with enough slack past the end the JSON
  // parser reads the text in place instead of copying it into a padded buffer.
  size_t capacity = 0;
  // Nodes that YAML aliases may add on top of the document's own (alias bombs fail).
  size_t max_alias_nodes = 1'000'000;
  // csv/tsv: the columns whose values key the rows (none: a list of rows).
  std::vector<std::string> key;
};

Result<Document> ParseDocument(std::string_view text, const ParseOptions& options);
Result<Document> ParseYaml(std::string_view text, const ParseOptions& options);
// ParseYaml's two readers, for tests that hold them to the same results. ParseYaml reads the
// common block subset of YAML itself (block maps and lists, plain, quoted and literal
// scalars, one-line flow collections, anchors) and gives everything else, errors included, to
// libfyaml. The subset reader's nullopt: not in it.
Result<Document> ParseYamlLibfyaml(std::string_view text, const ParseOptions& options);
std::optional<Document> ParseYamlBlockSubset(std::string_view text, const ParseOptions& options);
Result<Document> ParseJson(std::string_view text, const ParseOptions& options);
Result<Document> ParseDotenv(std::string_view text, const ParseOptions& options);
Result<Document> ParseIni(std::string_view text, const ParseOptions& options);

// 1-based line and column of a byte offset in text.
Position PositionOf(std::string_view text, size_t offset, const std::string& file);

}  // namespace drift
