#pragma once
// robots.txt (RFC 9309): parsing a file and matching paths against the
// group that applies to one product token. Pure: no I/O.
//
// Group selection: every group whose user-agent lines name the product
// token (case-insensitive; a line's token is its leading [A-Za-z_-] run)
// applies, merged; if none does, the `*` groups apply, merged; if none, no
// rule applies (everything allowed). Rules before the first user-agent line
// are ignored. Matching: the rule with the longest pattern (in octets, after
// normalisation) that matches the path decides; on a tie Allow wins. `*`
// matches any run of octets, a final `$` anchors the end. Patterns and paths
// are compared after percent-encoding octets outside US-ASCII and upper-casing
// existing %xx escapes; an escape is never decoded (RFC 9309 2.2.2:
// /foo/bar/%62%61%7A does not match /foo/bar/baz). /robots.txt is always
// allowed. Only the first kRobotsMaxBytes are parsed (RFC 9309 2.5).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forage::parser {

inline constexpr size_t kRobotsMaxBytes = 500 * 1024;

class RobotsRules {
 public:
  // No rule: everything allowed (a 4xx robots.txt, --ignore-robots).
  static RobotsRules AllowAll() { return RobotsRules(); }
  // Everything disallowed (a 5xx or unreachable robots.txt).
  static RobotsRules DisallowAll();

  // `path_and_query`: the URL's path (and "?query"), e.g. "/a/b?c=d"; an
  // empty path counts as "/".
  bool Allowed(std::string_view path_and_query) const;

  // The selected group's Crawl-delay, in seconds, if it has a valid one.
  std::optional<double> crawl_delay() const { return crawl_delay_; }
  // Every Sitemap: line of the file, in order (they belong to no group).
  const std::vector<std::string>& sitemaps() const { return sitemaps_; }
  size_t rule_count() const { return rules_.size(); }

 private:
  friend RobotsRules ParseRobots(std::string_view body, std::string_view product_token);
  struct Rule {
    bool allow = false;
    std::string pattern;  // normalised
  };
  std::vector<Rule> rules_;
  std::optional<double> crawl_delay_;
  std::vector<std::string> sitemaps_;
  bool disallow_all_ = false;
};

// Parses `body` (only its first kRobotsMaxBytes) for `product_token`.
RobotsRules ParseRobots(std::string_view body, std::string_view product_token);

// Percent-encodes octets >= 0x80 and controls, upper-cases %xx escapes.
std::string NormalizeRobotsPath(std::string_view path);

// Whether `pattern` (normalised; `*` wildcards, final `$`) matches the start
// of `path` (normalised), or all of it with `$`.
bool RobotsPatternMatches(std::string_view pattern, std::string_view path);

}  // namespace forage::parser
