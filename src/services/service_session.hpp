// One accepted connection's application logic, in pull/push form: the host feeds
// it the bytes that arrive and asks it for the bytes to send, and closes the
// connection when it says finished(). Private to src/api.
#pragma once

#include <cstddef>
#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "synack/base/bytes.hpp"
#include "synack/services/services.hpp"

namespace synack::services {

class ServiceSession {
 public:
  virtual ~ServiceSession() = default;
  // Bytes the peer sent (in order).
  virtual void on_data(Bytes in) = 0;
  // The peer's FIN: it sends no more.
  virtual void on_peer_closed() { peer_closed_ = true; }
  // Writes up to out.size() bytes to send next; 0 = nothing to send now.
  virtual std::size_t produce(MutBytes out) = 0;
  // False while the session has too much queued output (back-pressure: the
  // peer's data waits in TCP's receive window instead of in our memory).
  virtual bool wants_input() const { return true; }
  // Nothing more to send: the host closes the connection once produce()d bytes
  // are all in TCP's send buffer.
  virtual bool finished() const = 0;
  // The session hit an error it cannot answer (e.g. a file shrank): abort.
  virtual bool failed() const { return false; }
  // Counters the host adds to its ServiceStats.
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;

 protected:
  bool peer_closed_ = false;
};

std::unique_ptr<ServiceSession> make_echo_session();
std::unique_ptr<ServiceSession> make_discard_session();
std::unique_ptr<ServiceSession> make_chargen_session();
std::unique_ptr<ServiceSession> make_daytime_session(std::time_t now);
// `root` is the realpath of the document root, "" for the built-in pages.
std::unique_ptr<ServiceSession> make_http_session(const std::string& root);

}  // namespace synack::services
