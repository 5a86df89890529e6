#include "engine/proxy_list.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace forage::engine {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Why `url` is not a proxy URL; empty when it is one.
std::string Problem(std::string_view url) {
  static constexpr std::array<std::string_view, 6> kSchemes = {
      "http", "https", "socks4", "socks4a", "socks5", "socks5h"};
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return "expected SCHEME://HOST:PORT";
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool known = false;
  for (auto s : kSchemes) known = known || s == scheme;
  if (!known) return "scheme '" + scheme + "' (expected http, https, socks4, socks4a, socks5 or socks5h)";
  std::string_view rest = url.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?# ") != std::string_view::npos) return "a proxy URL has no path";
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (rest.empty()) return "no host";
  std::string_view host = rest;
  std::string_view port;
  if (rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return "unclosed '[' in the host";
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return "expected ':' after the IPv6 address";
      port = rest.substr(close + 2);
      if (port.empty()) return "empty port";
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) return "empty port";
  }
  if (host.empty()) return "no host";
  if (!port.empty()) {
    long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return "port '" + std::string(port) + "' is not a number";
      value = value * 10 + (c - '0');
      if (value > 65535) break;
    }
    if (value < 1 || value > 65535) return "port '" + std::string(port) + "' out of range";
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> ParseProxyList(const std::string& text, const std::string& path) {
  std::vector<std::string> proxies;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string_view l = Trim(line);
    if (l.empty() || l.front() == '#') continue;
    if (std::string why = Problem(l); !why.empty()) {
      return Err(ErrorCode::kInvalidArgument, "--proxy-list {}:{}: '{}': {}", path, number,
                 std::string(l), why);
    }
    proxies.emplace_back(l);
  }
  if (proxies.empty()) {
    return Err(ErrorCode::kInvalidArgument, "--proxy-list {}: no proxy in the file", path);
  }
  return proxies;
}

Result<std::vector<std::string>> ReadProxyList(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Err(ErrorCode::kInvalidArgument, "--proxy-list '{}': {}", path, std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseProxyList(text.str(), path);
}

}  // namespace forage::engine
