// The self-contained page pgtally serves at / (proxy/web/index.html, embedded at build time:
// no CDN, no files to install next to the binary).
#pragma once

#include <string_view>

namespace pgtally {

[[nodiscard]] std::string_view web_page_html();

}  // namespace pgtally
