// PostgreSQL frontend/backend protocol 3.0 constants shared by the codec and the relay.
// Reference: PostgreSQL 15 documentation, chapter 55 ("Frontend/Backend Protocol").
#pragma once

#include <cstdint>

namespace pgtally::wire {

enum class Direction : std::uint8_t { client_to_server, server_to_client };

// Startup-phase request codes (the int32 after the length of an untyped first packet).
inline constexpr std::uint32_t kProtocolV3 = 196608;  // 3 << 16
inline constexpr std::uint32_t kCancelRequestCode = 80877102;
inline constexpr std::uint32_t kSslRequestCode = 80877103;
inline constexpr std::uint32_t kGssEncRequestCode = 80877104;

// A startup packet is at least length + code; PostgreSQL's MAX_STARTUP_PACKET_LENGTH (10000)
// bounds it without its 4-byte length word.
inline constexpr std::uint32_t kMinStartupLength = 8;
inline constexpr std::uint32_t kMaxStartupLength = 10004;
// The largest message PostgreSQL itself accepts (MaxAllocSize - 1, about 1 GiB).
inline constexpr std::uint32_t kDefaultMaxMessageLength = 0x3FFFFFFF;

inline constexpr std::uint32_t kMessageHeaderSize = 5;  // type byte + int32 length

namespace frontend {
inline constexpr char kBind = 'B';
inline constexpr char kClose = 'C';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyFail = 'f';
inline constexpr char kDescribe = 'D';
inline constexpr char kExecute = 'E';
inline constexpr char kFlush = 'H';
inline constexpr char kFunctionCall = 'F';
inline constexpr char kParse = 'P';
inline constexpr char kPassword = 'p';  // also SASLInitialResponse, SASLResponse, GSSResponse
inline constexpr char kQuery = 'Q';
inline constexpr char kSync = 'S';
inline constexpr char kTerminate = 'X';
}  // namespace frontend

namespace backend {
inline constexpr char kAuthentication = 'R';
inline constexpr char kBackendKeyData = 'K';
inline constexpr char kBindComplete = '2';
inline constexpr char kCloseComplete = '3';
inline constexpr char kCommandComplete = 'C';
inline constexpr char kCopyInResponse = 'G';
inline constexpr char kCopyOutResponse = 'H';
inline constexpr char kCopyBothResponse = 'W';
inline constexpr char kDataRow = 'D';
inline constexpr char kEmptyQueryResponse = 'I';
inline constexpr char kErrorResponse = 'E';
inline constexpr char kNegotiateProtocolVersion = 'v';
inline constexpr char kNoData = 'n';
inline constexpr char kNoticeResponse = 'N';
inline constexpr char kNotificationResponse = 'A';
inline constexpr char kParameterDescription = 't';
inline constexpr char kParameterStatus = 'S';
inline constexpr char kParseComplete = '1';
inline constexpr char kPortalSuspended = 's';
inline constexpr char kReadyForQuery = 'Z';
inline constexpr char kRowDescription = 'T';
}  // namespace backend

// Authentication request codes carried by an 'R' message.
enum class AuthCode : std::int32_t {
  ok = 0,
  kerberos_v5 = 2,
  cleartext_password = 3,
  md5_password = 5,
  gss = 7,
  gss_continue = 8,
  sspi = 9,
  sasl = 10,
  sasl_continue = 11,
  sasl_final = 12,
};

}  // namespace pgtally::wire
