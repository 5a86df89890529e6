#pragma once
// The --proxy-list file: one proxy URL a line (http://, https://, socks4://,
// socks4a://, socks5://, socks5h://; user:password@ allowed), blank lines and
// lines starting with '#' skipped, surrounding spaces ignored. A line that is
// not such a URL is an error naming FILE:LINE (kInvalidArgument: exit 2).

#include <string>
#include <vector>

#include "base/result.h"

namespace forage::engine {

Result<std::vector<std::string>> ParseProxyList(const std::string& text, const std::string& path);
Result<std::vector<std::string>> ReadProxyList(const std::string& path);

}  // namespace forage::engine
