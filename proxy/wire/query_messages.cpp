#include "proxy/wire/query_messages.hpp"

#include <algorithm>
#include <charconv>

#include "proxy/wire/byte_order.hpp"

namespace pgtally::wire {
namespace {

// A cursor over a possibly truncated payload.
class Reader {
 public:
  Reader(std::span<const std::byte> bytes, std::uint32_t length)
      : bytes_(bytes), complete_(length >= 4 && bytes.size() >= length - 4) {}

  [[nodiscard]] bool complete() const { return complete_; }
  [[nodiscard]] std::size_t left() const { return bytes_.size() - at_; }

  // A NUL-terminated string; a string cut by the head is returned as far as it goes.
  std::optional<std::string_view> string(bool& cut) {
    const std::string_view rest = as_chars(bytes_.subspan(at_));
    const auto end = rest.find('\0');
    if (end == std::string_view::npos) {
      if (complete_) return std::nullopt;  // malformed: no terminator in a whole message
      cut = true;
      at_ = bytes_.size();
      return rest;
    }
    at_ += end + 1;
    return rest.substr(0, end);
  }
  std::optional<std::uint32_t> u32() {
    if (left() < 4) return std::nullopt;
    const auto v = read_u32(bytes_.subspan(at_));
    at_ += 4;
    return v;
  }
  std::optional<std::uint16_t> u16() {
    if (left() < 2) return std::nullopt;
    const auto v = read_u16(bytes_.subspan(at_));
    at_ += 2;
    return v;
  }
  std::span<const std::byte> take(std::size_t n) {
    const auto got = bytes_.subspan(at_, std::min(n, left()));
    at_ += got.size();
    return got;
  }
  [[nodiscard]] bool at_end() const { return at_ == bytes_.size(); }

 private:
  std::span<const std::byte> bytes_;
  std::size_t at_ = 0;
  bool complete_;
};

// Values of a Bind or DataRow: int16 count, then (int32 length or -1, bytes) each.
bool read_values(Reader& r, std::vector<BoundValue>& out, bool& truncated) {
  const auto count = r.u16();
  if (!count) {
    truncated = !r.complete();
    return !r.complete();
  }
  out.reserve(std::min<std::size_t>(*count, r.left() / 4));  // the count is untrusted
  for (std::uint16_t i = 0; i < *count; ++i) {
    const auto raw = r.u32();
    if (!raw) {
      truncated = true;
      return !r.complete();
    }
    const auto length = static_cast<std::int32_t>(*raw);
    if (length < -1) return false;
    if (length == -1) {
      out.push_back({true, {}, 0});
      continue;
    }
    const auto bytes = r.take(static_cast<std::size_t>(length));
    out.push_back({false, bytes, static_cast<std::uint32_t>(length)});
    if (bytes.size() < static_cast<std::size_t>(length)) {
      truncated = true;
      return !r.complete();
    }
  }
  return true;
}

}  // namespace

std::int16_t format_code(const std::vector<std::int16_t>& codes, std::size_t i) {
  if (codes.empty()) return 0;
  if (codes.size() == 1) return codes.front();
  return i < codes.size() ? codes[i] : std::int16_t{0};
}

std::int16_t BindMessage::format_of(std::size_t i) const {
  return format_code(parameter_formats, i);
}

std::optional<QueryMessage> parse_query(std::span<const std::byte> head, std::uint32_t length) {
  Reader r(head, length);
  bool cut = false;
  const auto text = r.string(cut);
  if (!text) return std::nullopt;
  return QueryMessage{*text, cut};
}

std::optional<ParseMessage> parse_parse(std::span<const std::byte> head, std::uint32_t length) {
  Reader r(head, length);
  ParseMessage m;
  const auto statement = r.string(m.truncated);
  if (!statement || m.truncated) return m.truncated ? std::optional(m) : std::nullopt;
  m.statement = *statement;
  const auto text = r.string(m.truncated);
  if (!text) return std::nullopt;
  m.text = *text;
  if (m.truncated) return m;
  const auto count = r.u16();
  if (!count) {
    m.truncated = !r.complete();
    return r.complete() ? std::nullopt : std::optional(m);
  }
  for (std::uint16_t i = 0; i < *count; ++i) {
    const auto oid = r.u32();
    if (!oid) {
      m.truncated = true;
      return r.complete() ? std::nullopt : std::optional(m);
    }
    m.parameter_types.push_back(*oid);
  }
  return m;
}

std::optional<BindMessage> parse_bind(std::span<const std::byte> head, std::uint32_t length) {
  Reader r(head, length);
  BindMessage m;
  const auto portal = r.string(m.truncated);
  if (!portal || m.truncated) return std::nullopt;
  m.portal = *portal;
  const auto statement = r.string(m.truncated);
  if (!statement || m.truncated) return std::nullopt;
  m.statement = *statement;
  const auto formats = r.u16();
  if (!formats) return std::nullopt;
  for (std::uint16_t i = 0; i < *formats; ++i) {
    const auto code = r.u16();
    if (!code) return std::nullopt;
    m.parameter_formats.push_back(static_cast<std::int16_t>(*code));
  }
  if (!read_values(r, m.values, m.truncated)) return std::nullopt;
  if (m.truncated) return m;
  const auto results = r.u16();
  if (!results) {
    m.truncated = !r.complete();
    return r.complete() ? std::nullopt : std::optional(m);
  }
  for (std::uint16_t i = 0; i < *results; ++i) {
    const auto code = r.u16();
    if (!code) {
      m.truncated = true;
      return r.complete() ? std::nullopt : std::optional(m);
    }
    m.result_formats.push_back(static_cast<std::int16_t>(*code));
  }
  return m;
}

std::optional<ExecuteMessage> parse_execute(std::span<const std::byte> payload) {
  Reader r(payload, static_cast<std::uint32_t>(payload.size() + 4));
  bool cut = false;
  const auto portal = r.string(cut);
  const auto max_rows = r.u32();
  if (!portal || !max_rows || !r.at_end()) return std::nullopt;
  return ExecuteMessage{*portal, static_cast<std::int32_t>(*max_rows)};
}

namespace {

std::optional<TargetMessage> parse_target(std::span<const std::byte> payload) {
  if (payload.empty()) return std::nullopt;
  const char kind = static_cast<char>(payload[0]);
  if (kind != 'S' && kind != 'P') return std::nullopt;
  Reader r(payload.subspan(1), static_cast<std::uint32_t>(payload.size() + 3));
  bool cut = false;
  const auto name = r.string(cut);
  if (!name || !r.at_end()) return std::nullopt;
  return TargetMessage{kind, *name};
}

}  // namespace

std::optional<CloseMessage> parse_close(std::span<const std::byte> payload) {
  return parse_target(payload);
}

std::optional<DescribeMessage> parse_describe(std::span<const std::byte> payload) {
  return parse_target(payload);
}

std::optional<CommandCompleteMessage> parse_command_complete(std::span<const std::byte> payload) {
  Reader r(payload, static_cast<std::uint32_t>(payload.size() + 4));
  bool cut = false;
  const auto tag = r.string(cut);
  if (!tag) return std::nullopt;
  CommandCompleteMessage m{*tag, tag->substr(0, tag->find(' ')), std::nullopt};
  // The row count is the last word for SELECT, INSERT (after the OID), UPDATE, DELETE, MERGE,
  // FETCH, MOVE, COPY.
  const auto space = tag->rfind(' ');
  if (space != std::string_view::npos) {
    std::uint64_t rows = 0;
    const auto digits = tag->substr(space + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), rows);
    if (ec == std::errc() && end == digits.data() + digits.size()) m.rows = rows;
  }
  return m;
}

std::optional<RowDescriptionMessage> parse_row_description(std::span<const std::byte> head,
                                                           std::uint32_t length) {
  Reader r(head, length);
  RowDescriptionMessage m;
  const auto count = r.u16();
  if (!count) return r.complete() ? std::nullopt : std::optional(m);
  for (std::uint16_t i = 0; i < *count; ++i) {
    bool cut = false;
    const auto name = r.string(cut);
    const auto table = r.u32();
    const auto column = r.u16();
    const auto type = r.u32();
    const auto size = r.u16();
    const auto modifier = r.u32();
    const auto format = r.u16();
    if (!name || cut || !table || !column || !type || !size || !modifier || !format) {
      m.truncated = true;
      return r.complete() ? std::nullopt : std::optional(m);
    }
    m.fields.push_back({*type, static_cast<std::int16_t>(*format), *table});
  }
  return m;
}

std::optional<DataRowMessage> parse_data_row(std::span<const std::byte> head,
                                             std::uint32_t length) {
  Reader r(head, length);
  DataRowMessage m;
  if (!read_values(r, m.columns, m.truncated)) return std::nullopt;
  return m;
}

}  // namespace pgtally::wire
