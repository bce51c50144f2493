#include "runtime/cli/pcap.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace bpfjit::cli {

namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;
constexpr uint32_t kMagicPcapng = 0x0a0d0d0a;  // a pcapng section header block
constexpr size_t kFileHeaderSize = 24;
constexpr size_t kRecordHeaderSize = 16;

uint32_t load_u32(const uint8_t* p, bool swapped) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped ? __builtin_bswap32(v) : v;
}

void store_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void store_u16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

}  // namespace

Result<PcapReader> PcapReader::open(const std::string& path) {
  PcapReader r;
  r.path_ = path;
  r.file_.reset(std::fopen(path.c_str(), "rb"));
  if (!r.file_) {
    return make_error(ErrorCode::kIo, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  uint8_t h[kFileHeaderSize];
  const size_t got = std::fread(h, 1, sizeof(h), r.file_.get());
  if (got >= 4 && load_u32(h, false) == kMagicPcapng) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("{} is a pcapng capture; only the classic pcap format is read "
                                  "(convert it with `editcap -F pcap` or `tcpdump -r IN -w OUT`)",
                                  path));
  }
  if (got < sizeof(h)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: the pcap file header needs 24 bytes, the file has {}", path, got));
  }
  const uint32_t magic = load_u32(h, false);
  if (magic == kMagicMicro || magic == kMagicNano) {
    r.swapped_ = false;
  } else if (__builtin_bswap32(magic) == kMagicMicro || __builtin_bswap32(magic) == kMagicNano) {
    r.swapped_ = true;
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: offset 0: magic 0x{:08x} is not a pcap file's", path, magic));
  }
  r.nanosecond_ = load_u32(h, r.swapped_) == kMagicNano;
  // Bytes 20..23: the link type in the low 16 bits (the high bits are FCS flags).
  r.link_type_ = load_u32(h + 20, r.swapped_) & 0xffff;
  r.offset_ = kFileHeaderSize;
  return r;
}

Result<std::optional<PcapPacket>> PcapReader::next() {
  uint8_t h[kRecordHeaderSize];
  const size_t got = std::fread(h, 1, sizeof(h), file_.get());
  if (got == 0 && std::feof(file_.get())) return std::optional<PcapPacket>{};
  if (got < sizeof(h)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: packet {} at offset {}: the record header is cut short "
                                  "({} of 16 bytes)", path_, index_, offset_, got));
  }
  PcapPacket p;
  p.ts_sec = load_u32(h, swapped_);
  p.ts_frac = load_u32(h + 4, swapped_);
  const uint32_t incl_len = load_u32(h + 8, swapped_);
  p.orig_len = load_u32(h + 12, swapped_);
  if (incl_len > kMaxPcapRecord) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: packet {} at offset {}: captured length {} is more than "
                                  "{}", path_, index_, offset_, incl_len, kMaxPcapRecord));
  }
  p.bytes.resize(incl_len);
  if (std::fread(p.bytes.data(), 1, incl_len, file_.get()) != incl_len) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: packet {} at offset {}: the file ends inside its {} "
                                  "bytes", path_, index_, offset_, incl_len));
  }
  offset_ += kRecordHeaderSize + incl_len;
  ++index_;
  return std::optional<PcapPacket>{std::move(p)};
}

Result<PcapWriter> PcapWriter::create(const std::string& path, uint32_t link_type,
                                      bool nanosecond) {
  PcapWriter w;
  w.path_ = path;
  w.file_.reset(std::fopen(path.c_str(), "wb"));
  if (!w.file_) {
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  }
  uint8_t h[kFileHeaderSize] = {};
  store_u32(h, nanosecond ? kMagicNano : kMagicMicro);
  store_u16(h + 4, 2);  // version 2.4
  store_u16(h + 6, 4);
  store_u32(h + 16, kMaxPcapRecord);  // snap length
  store_u32(h + 20, link_type);
  if (std::fwrite(h, 1, sizeof(h), w.file_.get()) != sizeof(h)) {
    return make_error(ErrorCode::kIo, fmt::format("cannot write {}", path));
  }
  return w;
}

Result<void> PcapWriter::write(const PcapPacket& packet) {
  uint8_t h[kRecordHeaderSize];
  const auto len = static_cast<uint32_t>(packet.bytes.size());
  store_u32(h, packet.ts_sec);
  store_u32(h + 4, packet.ts_frac);
  store_u32(h + 8, len);
  store_u32(h + 12, len);  // the whole packet, as the program left it
  if (std::fwrite(h, 1, sizeof(h), file_.get()) != sizeof(h) ||
      std::fwrite(packet.bytes.data(), 1, len, file_.get()) != len) {
    return make_error(ErrorCode::kIo, fmt::format("cannot write {}", path_));
  }
  return {};
}

Result<void> PcapWriter::close() {
  std::FILE* f = file_.release();
  if (f == nullptr) return {};
  const bool ok = std::fflush(f) == 0;
  if (std::fclose(f) != 0 || !ok) {
    return make_error(ErrorCode::kIo, fmt::format("cannot write {}", path_));
  }
  return {};
}

}  // namespace bpfjit::cli
