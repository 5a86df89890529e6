#include "parser/robots.h"

#include <algorithm>
#include <charconv>
#include <cmath>


namespace forage::parser {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// The product token of a user-agent value: its leading [A-Za-z_-] run
// ("Forage/1.0 (+x)" -> "Forage"); "*" stays "*".
std::string_view ProductToken(std::string_view value) {
  if (!value.empty() && value.front() == '*') return "*";
  size_t n = 0;
  while (n < value.size() && ((value[n] >= 'a' && value[n] <= 'z') ||
                              (value[n] >= 'A' && value[n] <= 'Z') || value[n] == '_' ||
                              value[n] == '-')) {
    ++n;
  }
  return value.substr(0, n);
}

std::optional<double> ParseDelay(std::string_view v) {
  double d = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || ptr != v.data() + v.size() || !std::isfinite(d) || d < 0) {
    return std::nullopt;
  }
  return d;
}

struct Line {
  std::string_view key;
  std::string_view value;
};

// "key: value # comment" -> key and value, trimmed; nullopt for a line
// without a colon (or only a comment).
std::optional<Line> SplitLine(std::string_view line) {
  if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return Line{Trim(line.substr(0, colon)), Trim(line.substr(colon + 1))};
}

}  // namespace

std::string NormalizeRobotsPath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == '%' && i + 2 < path.size() && IsHex(path[i + 1]) && IsHex(path[i + 2])) {
      out += '%';
      out += Upper(path[i + 1]);
      out += Upper(path[i + 2]);
      i += 2;
    } else if (c >= 0x80 || c <= 0x20 || c == 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Glob match with backtracking to the last `*` only: O(pattern x path) at
// worst, no recursion, so a hostile pattern cannot blow the stack.
bool RobotsPatternMatches(std::string_view pattern, std::string_view path) {
  bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  size_t p = 0, s = 0;
  size_t star = std::string_view::npos, star_s = 0;
  while (true) {
    if (p == pattern.size()) {
      if (!anchored || s == path.size()) return true;
      // Anchored and text left: let the last star swallow more.
    } else if (pattern[p] == '*') {
      star = p++;
      star_s = s;
      continue;
    } else if (s < path.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
      continue;
    }
    if (star == std::string_view::npos || star_s >= path.size()) return false;
    p = star + 1;
    s = ++star_s;
  }
}

RobotsRules RobotsRules::DisallowAll() {
  RobotsRules r;
  r.disallow_all_ = true;
  return r;
}

bool RobotsRules::Allowed(std::string_view path_and_query) const {
  if (path_and_query.empty()) path_and_query = "/";
  if (path_and_query == "/robots.txt") return true;
  if (disallow_all_) return false;
  const std::string path = NormalizeRobotsPath(path_and_query);
  const Rule* best = nullptr;
  for (const Rule& r : rules_) {
    if (best && (r.pattern.size() < best->pattern.size() ||
                 (r.pattern.size() == best->pattern.size() && !r.allow))) {
      continue;
    }
    if (RobotsPatternMatches(r.pattern, path)) best = &r;
  }
  return best == nullptr || best->allow;
}

RobotsRules ParseRobots(std::string_view body, std::string_view product_token) {
  body = body.substr(0, std::min(body.size(), kRobotsMaxBytes));
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  struct Group {
    bool mine = false, star = false;
    std::vector<RobotsRules::Rule> rules;
    std::optional<double> delay;
  };
  RobotsRules out;
  std::vector<Group> groups;
  bool in_agents = false;  // the last line was a user-agent line
  while (!body.empty()) {
    size_t end = body.find_first_of("\r\n");
    std::string_view raw = body.substr(0, end);
    body.remove_prefix(end == std::string_view::npos ? body.size() : end + 1);
    std::optional<Line> line = SplitLine(raw);
    if (!line) continue;
    if (EqualsIgnoreCase(line->key, "user-agent")) {
      if (!in_agents) groups.emplace_back();
      in_agents = true;
      std::string_view token = ProductToken(line->value);
      if (token == "*") {
        groups.back().star = true;
      } else if (!token.empty() && EqualsIgnoreCase(token, product_token)) {
        groups.back().mine = true;
      }
      continue;
    }
    if (EqualsIgnoreCase(line->key, "sitemap")) {
      // Not a group member: it neither ends nor starts a group.
      if (!line->value.empty()) out.sitemaps_.emplace_back(line->value);
      continue;
    }
    const bool allow = EqualsIgnoreCase(line->key, "allow");
    const bool disallow = EqualsIgnoreCase(line->key, "disallow");
    const bool delay = EqualsIgnoreCase(line->key, "crawl-delay");
    if (!allow && !disallow && !delay) continue;  // unknown keys are ignored
    in_agents = false;
    if (groups.empty()) continue;  // a rule before any user-agent line
    Group& g = groups.back();
    if (delay) {
      if (auto d = ParseDelay(line->value)) g.delay = d;
    } else if (!line->value.empty()) {  // an empty Disallow allows everything: no rule
      g.rules.push_back(RobotsRules::Rule{allow, NormalizeRobotsPath(line->value)});
    }
  }
  const bool any_mine = std::any_of(groups.begin(), groups.end(), [](const Group& g) { return g.mine; });
  for (Group& g : groups) {
    if (any_mine ? !g.mine : !g.star) continue;
    for (auto& r : g.rules) out.rules_.push_back(std::move(r));
    if (g.delay && !out.crawl_delay_) out.crawl_delay_ = g.delay;
  }
  return out;
}

}  // namespace forage::parser
