#include "daemon/text_family.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace drift {

void AppendSampleValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

void AppendLabelValue(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

TextFamily::TextFamily(std::string name, std::string_view help, std::string_view type)
    : name_(std::move(name)) {
  header_ = "# HELP " + name_ + " ";
  for (char c : help) {  // HELP escapes backslash and newline only
    if (c == '\\') header_ += "\\\\";
    else if (c == '\n') header_ += "\\n";
    else header_ += c;
  }
  header_ += "\n# TYPE " + name_ + " ";
  header_ += type;
  header_ += "\n";
}

TextFamily::Handle TextFamily::Add(const Labels& given) {
  Labels labels = given;  // by name, as prometheus-cpp prints them (people grep for them so)
  std::sort(labels.begin(), labels.end());
  Handle h;
  if (!free_.empty()) {
    h = free_.back();
    free_.pop_back();
  } else {
    h = static_cast<Handle>(series_.size());
    series_.emplace_back();
  }
  Series& s = series_[h];
  s.line = name_;
  if (!labels.empty()) {
    s.line += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) s.line += ',';
      s.line += labels[i].first;
      s.line += "=\"";
      AppendLabelValue(s.line, labels[i].second);
      s.line += '"';
    }
    s.line += '}';
  }
  s.line += ' ';
  s.value_at = static_cast<uint32_t>(s.line.size());
  s.line += "0\n";
  s.value = 0;
  s.live = true;
  s.line.shrink_to_fit();
  bytes_ += s.line.size();
  return h;
}

void TextFamily::Set(Handle h, double v) {
  Series& s = series_[h];
  if (s.value == v && !std::isnan(v)) return;
  bytes_ -= s.line.size();
  s.value = v;
  s.line.resize(s.value_at);
  AppendSampleValue(s.line, v);
  s.line += '\n';
  bytes_ += s.line.size();
}

void TextFamily::Remove(Handle h) {
  Series& s = series_[h];
  if (!s.live) return;
  bytes_ -= s.line.size();
  s.live = false;
  std::string().swap(s.line);
  free_.push_back(h);
}

void TextFamily::AppendTo(std::string& out) const {
  out.reserve(out.size() + header_.size() + bytes_);
  out += header_;
  for (const Series& s : series_)
    if (s.live) out += s.line;
}

}  // namespace drift
