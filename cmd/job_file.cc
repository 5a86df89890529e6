#include "cmd/job_file.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include <toml++/toml.h>

namespace forage::cmd {
namespace {

enum class Kind {
  kString,       // a string
  kInteger,      // a whole number
  kNumber,       // a whole or decimal number
  kBool,         // true / false: the flag is given or not
  kIntOrString,  // workers = 4 / "auto"; pages = 7 / "1-48"
  kStrings,      // an array of strings: the flag once per element
  kStringOrStrings,  // url = "..." or url = ["...", "..."]
};

struct Key {
  std::string_view key;
  std::string_view flag;
  Kind kind;
};

// Every flag of `forage run` that a job file may set.
constexpr std::array kKeys = {
    Key{"url", "--url", Kind::kStringOrStrings},
    Key{"pages", "--pages", Kind::kIntOrString},
    Key{"urls", "--urls", Kind::kString},
    Key{"sitemap", "--sitemap", Kind::kStringOrStrings},
    Key{"items", "--items", Kind::kString},
    Key{"workers", "--workers", Kind::kIntOrString},
    Key{"concurrency", "--concurrency", Kind::kInteger},
    Key{"per_host", "--per-host", Kind::kInteger},
    Key{"rate", "--rate", Kind::kNumber},
    Key{"delay", "--delay", Kind::kString},
    Key{"retries", "--retries", Kind::kInteger},
    Key{"max_retry_wait", "--max-retry-wait", Kind::kString},
    Key{"timeout", "--timeout", Kind::kString},
    Key{"connect_timeout", "--connect-timeout", Kind::kString},
    Key{"stall_timeout", "--stall-timeout", Kind::kString},
    Key{"max_body", "--max-body", Kind::kIntOrString},
    Key{"worker_max_rss", "--worker-max-rss", Kind::kIntOrString},
    Key{"page_cpu_limit", "--page-cpu-limit", Kind::kString},
    Key{"cpu_burn", "--cpu-burn", Kind::kString},
    Key{"hang_timeout", "--hang-timeout", Kind::kString},
    Key{"order", "--order", Kind::kString},
    Key{"chunking", "--chunking", Kind::kString},
    Key{"user_agent", "--user-agent", Kind::kString},
    Key{"contact", "--contact", Kind::kString},
    Key{"ignore_robots", "--ignore-robots", Kind::kBool},
    Key{"header", "--header", Kind::kStringOrStrings},
    Key{"proxy", "--proxy", Kind::kString},
    Key{"proxy_list", "--proxy-list", Kind::kString},
    Key{"proxy_mode", "--proxy-mode", Kind::kString},
    Key{"cache", "--cache", Kind::kString},
    Key{"cache_mode", "--cache-mode", Kind::kString},
    Key{"cache_max", "--cache-max", Kind::kIntOrString},
    Key{"method", "--method", Kind::kString},
    Key{"data", "--data", Kind::kString},
    Key{"output", "--output", Kind::kString},
    Key{"report", "--report", Kind::kString},
    Key{"quiet", "--quiet", Kind::kBool},
    Key{"state", "--state", Kind::kString},
    Key{"overwrite", "--overwrite", Kind::kBool},
    Key{"append", "--append", Kind::kBool},
    Key{"key", "--key", Kind::kStringOrStrings},  // with cert: the client key's file
    Key{"follow", "--follow", Kind::kString},
    Key{"detail_items", "--detail-items", Kind::kString},
    Key{"depth", "--depth", Kind::kInteger},
    Key{"next", "--next", Kind::kString},
    Key{"crawl", "--crawl", Kind::kBool},
    Key{"scope", "--scope", Kind::kString},
    Key{"allow", "--allow", Kind::kStringOrStrings},
    Key{"deny", "--deny", Kind::kStringOrStrings},
    Key{"max_pages", "--max-pages", Kind::kInteger},
    Key{"format", "--format", Kind::kString},
    Key{"with_source", "--with-source", Kind::kBool},
    Key{"throttle", "--throttle", Kind::kString},
    Key{"allow_empty", "--allow-empty", Kind::kBool},
    Key{"cacert", "--cacert", Kind::kString},
    Key{"capath", "--capath", Kind::kString},
    Key{"insecure", "--insecure", Kind::kBool},
    Key{"cert", "--cert", Kind::kString},
    Key{"cert_key", "--cert-key", Kind::kString},
    Key{"http1_1", "--http1.1", Kind::kBool},
    Key{"redis", "--redis", Kind::kString},
    Key{"lease_timeout", "--lease-timeout", Kind::kString},
    Key{"max_deliveries", "--max-deliveries", Kind::kInteger},
};

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kString: return "a string";
    case Kind::kInteger: return "a whole number";
    case Kind::kNumber: return "a number";
    case Kind::kBool: return "true or false";
    case Kind::kIntOrString: return "a number or a string";
    case Kind::kStrings: return "an array of strings";
    case Kind::kStringOrStrings: return "a string or an array of strings";
  }
  return "";
}

// What a value of the key looks like, for error messages.
std::string Example(const Key& key) {
  static constexpr std::pair<std::string_view, std::string_view> kExamples[] = {
      {"pages", "\"1-48\""},
      {"url", "\"https://example.com/list?page={page}\""},
      {"items", "\".product\""},
      {"workers", "4"},
      {"timeout", "\"30s\""},
      {"delay", "\"500ms\""},
      {"max_body", "\"16MB\""},
      {"worker_max_rss", "\"400MB\""},
      {"output", "\"products.csv\""},
      {"format", "\"csv\""},
      {"order", "\"page\""},
      {"header", "[\"Accept: text/html\"]"},
      {"key", "[\"sku\"]"},
  };
  for (const auto& [name, example] : kExamples) {
    if (name == key.key) return fmt::format("{} = {}", key.key, example);
  }
  switch (key.kind) {
    case Kind::kString: return fmt::format("{} = \"...\"", key.key);
    case Kind::kInteger: return fmt::format("{} = 8", key.key);
    case Kind::kNumber: return fmt::format("{} = 2.5", key.key);
    case Kind::kBool: return fmt::format("{} = true", key.key);
    case Kind::kIntOrString: return fmt::format("{} = \"...\"", key.key);
    case Kind::kStrings: return fmt::format("{} = [\"...\"]", key.key);
    case Kind::kStringOrStrings: return fmt::format("{} = \"...\"", key.key);
  }
  return "";
}

size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The closest key a job file may hold ("per-host" -> "per_host"), or empty.
std::string SuggestKey(std::string_view typo) {
  std::string normal(typo);
  std::replace(normal.begin(), normal.end(), '-', '_');
  std::string best;
  size_t best_d = 3;  // at most two edits away
  auto consider = [&](std::string_view key) {
    size_t d = Distance(normal, key);
    if (d < best_d) {
      best_d = d;
      best = key;
    }
  };
  for (const Key& k : kKeys) consider(k.key);
  consider("fields");
  consider("detail_fields");
  return best;
}

const Key* FindKey(std::string_view name) {
  auto it = std::find_if(kKeys.begin(), kKeys.end(), [&](const Key& key) { return key.key == name; });
  return it == kKeys.end() ? nullptr : &*it;
}

// A TOML syntax error on a line `KEY = VALUE` of a known key is most often
// an unquoted string (pages = 1-48 reads as a broken date): say so.
std::optional<Error> UnquotedValue(const std::string& path, int line_no) {
  std::ifstream in(path);
  std::string line;
  for (int i = 0; i < line_no && std::getline(in, line); ++i) {
  }
  if (!in) return std::nullopt;
  size_t eq = line.find('=');
  if (eq == std::string::npos) return std::nullopt;
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
    return v;
  };
  std::string_view key = trim(std::string_view(line).substr(0, eq));
  std::string_view value = trim(std::string_view(line).substr(eq + 1));
  const Key* k = FindKey(key);
  if (k == nullptr || value.empty() || value.front() == '"' || value.front() == '\'' ||
      value.front() == '[') {
    return std::nullopt;
  }
  if (k->kind != Kind::kString && k->kind != Kind::kIntOrString) return std::nullopt;
  return Err(ErrorCode::kInvalidArgument,
             "job file '{}' line {}: {} must be a string, e.g. {} (TOML needs the quotes)", path,
             line_no, k->key, Example(*k));
}

std::string NumberText(double v) {
  std::string s = fmt::format("{}", v);
  return s;
}

Error WrongType(const std::string& path, std::string_view key, const toml::node& n, Kind want) {
  const Key* k = FindKey(key);
  return Err(ErrorCode::kInvalidArgument, "job file '{}' line {}: {} must be {}, e.g. {}", path,
             n.source().begin.line, key, KindName(want), k != nullptr ? Example(*k) : "");
}

// Appends the flag (and its values) that `node` stands for.
Status AppendKey(const std::string& path, const Key& key, const toml::node& node,
                 std::vector<std::string>* args) {
  auto add = [&](std::string value) {
    args->emplace_back(key.flag);
    args->push_back(std::move(value));
  };
  switch (key.kind) {
    case Kind::kString:
      if (!node.is_string()) return WrongType(path, key.key, node, key.kind);
      add(*node.value<std::string>());
      return OkStatus();
    case Kind::kInteger:
      if (!node.is_integer()) return WrongType(path, key.key, node, key.kind);
      add(std::to_string(*node.value<int64_t>()));
      return OkStatus();
    case Kind::kNumber:
      if (!node.is_number()) return WrongType(path, key.key, node, key.kind);
      add(NumberText(*node.value<double>()));
      return OkStatus();
    case Kind::kBool:
      if (!node.is_boolean()) return WrongType(path, key.key, node, key.kind);
      if (*node.value<bool>()) args->emplace_back(key.flag);
      return OkStatus();
    case Kind::kIntOrString:
      if (node.is_integer()) {
        add(std::to_string(*node.value<int64_t>()));
      } else if (node.is_string()) {
        add(*node.value<std::string>());
      } else {
        return WrongType(path, key.key, node, key.kind);
      }
      return OkStatus();
    case Kind::kStringOrStrings:
      if (node.is_string()) {
        add(*node.value<std::string>());
        return OkStatus();
      }
      [[fallthrough]];
    case Kind::kStrings: {
      const toml::array* arr = node.as_array();
      if (arr == nullptr) return WrongType(path, key.key, node, key.kind);
      for (const toml::node& el : *arr) {
        if (!el.is_string()) return WrongType(path, key.key, el, key.kind);
        add(*el.value<std::string>());
      }
      return OkStatus();
    }
  }
  return OkStatus();
}

// [fields] (or [detail_fields]): name = "selector", in the order the file
// lists them (a TOML table is a map, so the order comes from the source
// positions), each as `flag` name=selector.
Status AppendFields(const std::string& path, std::string_view table, std::string_view flag,
                    const toml::node& node, std::vector<std::string>* args) {
  const toml::table* fields = node.as_table();
  if (fields == nullptr) {
    return Err(ErrorCode::kInvalidArgument,
               "job file '{}' line {}: '{}' must be a table of name = \"selector\"", path,
               node.source().begin.line, table);
  }
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [k, v] : *fields) entries.emplace_back(&k, &v);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  for (const auto& [k, v] : entries) {
    if (!v->is_string()) {
      return Err(ErrorCode::kInvalidArgument,
                 "job file '{}' line {}: field '{}' must be a selector string", path,
                 v->source().begin.line, k->str());
    }
    args->emplace_back(flag);
    args->push_back(std::string(k->str()) + "=" + *v->value<std::string>());
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<std::string>> JobFileArgs(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    return Err(ErrorCode::kInvalidArgument, "job file '{}': no such file", path);
  }
  if (std::filesystem::is_directory(status)) {
    return Err(ErrorCode::kInvalidArgument, "job file '{}': a directory, not a file", path);
  }
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    if (auto unquoted = UnquotedValue(path, static_cast<int>(e.source().begin.line))) {
      return *unquoted;
    }
    return Err(ErrorCode::kInvalidArgument, "job file '{}' line {}: {}", path,
               e.source().begin.line, e.description());
  }
  // Keys in the order they stand in the file, so errors come in that order.
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [k, v] : doc) entries.emplace_back(&k, &v);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.first->source().begin.line < b.first->source().begin.line;
  });
  std::vector<std::string> args;
  for (const auto& [k, v] : entries) {
    std::string_view name = k->str();
    if (name == "fields" || name == "detail_fields") {
      std::string_view flag = name == "fields" ? "--field" : "--detail-field";
      if (auto st = AppendFields(path, name, flag, *v, &args); !st) return st.error();
      continue;
    }
    const Key* key = FindKey(name);
    if (key == nullptr) {
      std::string hint = SuggestKey(name);
      return Err(ErrorCode::kInvalidArgument, "job file '{}' line {}: unknown key '{}'{}", path,
                 k->source().begin.line, name,
                 hint.empty() ? "" : fmt::format(" (did you mean {}?)", hint));
    }
    if (auto st = AppendKey(path, *key, *v, &args); !st) return st.error();
  }
  return args;
}

}  // namespace forage::cmd
