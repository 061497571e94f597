// Runs a started Proxy until SIGTERM or SIGINT (drain, then stop); SIGHUP re-reads the config
// file and reopens the log. Shared by `pgtally` and `pgtally demo`.
#pragma once

#include "proxy/proxy.hpp"

namespace pgtally {

// Blocks until a stop signal has been handled and the proxy has shut down.
void serve_until_signalled(Proxy& proxy);

}  // namespace pgtally
