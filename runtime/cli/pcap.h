// Packet captures in the classic pcap format (the one tcpdump -w and scapy's wrpcap write):
// a 24-byte file header, then per packet a 16-byte record header and the captured bytes.
// Both byte orders and both timestamp resolutions (microseconds, nanoseconds) are read;
// files are written in the host's order with the resolution of the capture they copy.
// pcapng files are recognised and refused with a clear error.
//
// Reading streams the file: a capture of any size is read one packet at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/isa/result.h"

namespace bpfjit::cli {

// LINKTYPE_ETHERNET: frames start with the Ethernet header.
inline constexpr uint32_t kLinkTypeEthernet = 1;
// The largest packet a record may hold (the snap length of tcpdump's default, 262144).
inline constexpr uint32_t kMaxPcapRecord = 262144;

struct PcapPacket {
  uint32_t ts_sec = 0;
  uint32_t ts_frac = 0;   // microseconds or nanoseconds (PcapReader::nanosecond())
  uint32_t orig_len = 0;  // the length on the wire (>= bytes.size() when the capture cut it)
  std::vector<uint8_t> bytes;
};

class PcapReader {
 public:
  // Opens `path` and reads its file header.
  static Result<PcapReader> open(const std::string& path);

  // The next packet, std::nullopt at the end of the file, or an error that names the
  // packet's index and file offset (a record header or body cut short, a record longer
  // than kMaxPcapRecord).
  Result<std::optional<PcapPacket>> next();

  uint32_t link_type() const { return link_type_; }
  bool nanosecond() const { return nanosecond_; }

 private:
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file_;
  std::string path_;
  bool swapped_ = false;
  bool nanosecond_ = false;
  uint32_t link_type_ = 0;
  uint64_t offset_ = 0;  // of the next record
  uint64_t index_ = 0;   // of the next record
};

class PcapWriter {
 public:
  // Creates `path` (replacing it) with a file header for `link_type` frames.
  static Result<PcapWriter> create(const std::string& path, uint32_t link_type, bool nanosecond);

  // Appends a record of packet.bytes with its timestamp (orig_len is ignored: the record
  // holds the whole packet).
  Result<void> write(const PcapPacket& packet);
  // Flushes and closes; the error of a write that failed late (a full disk).
  Result<void> close();

 private:
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file_;
  std::string path_;
};

}  // namespace bpfjit::cli
