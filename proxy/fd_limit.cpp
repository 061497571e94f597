#include "proxy/fd_limit.hpp"

#include <sys/resource.h>

#include <fmt/format.h>

namespace pgtally {

FileLimit raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return {limit.rlim_cur, limit.rlim_max};
}

std::optional<std::string> check_client_capacity(std::uint64_t max_client_conn,
                                                 const FileLimit& limit) {
  const std::uint64_t needed = 2 * max_client_conn + kReservedDescriptors;
  if (needed <= limit.soft) return std::nullopt;
  return fmt::format(
      "max_client_conn = {} needs {} open files (2 per client + {} reserved), but the "
      "open-files limit is {} (hard limit {}): raise the limit (ulimit -n, LimitNOFILE=) or "
      "lower max_client_conn to at most {}",
      max_client_conn, needed, kReservedDescriptors, limit.soft, limit.hard,
      limit.soft > kReservedDescriptors ? (limit.soft - kReservedDescriptors) / 2 : 0);
}

}  // namespace pgtally
