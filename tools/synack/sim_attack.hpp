// `synack sim attack`: an off-path attacker guesses sequence numbers to inject data
// into, and reset, a TCP connection it cannot see. Played twice: against hosts with
// TcpConfig.insecure (a counter ISN, RFC 793 rules) and against the defaults (RFC 6528
// ISNs, RFC 5961). Three hosts on one simulated switch, one virtual clock, one seed.
#pragma once

#include <cstdint>
#include <string>

#include "synack/base/time.hpp"
#include "synack/link/pcapng.hpp"
#include "synack/link/sim_link.hpp"
#include "synack/tcp/types.hpp"

namespace synack::cli {

struct AttackOptions {
  std::uint64_t seed = 1;
  link::DirectionConfig link;  // impairments of the path between two hosts, each way
  bool absolute_seq = false;
  std::string pcap_path;  // empty: no capture
  bool run_insecure = true;
  bool run_default = true;
};

// What one run did: the facts behind its verdict (tests check these, not the text).
struct AttackResult {
  bool insecure = false;
  // The attacker's ISN guesses minus the truth: A's ISN (the SEQ side of a forged
  // segment from A) and B's ISN for A's connection (the ACK side).
  std::int64_t isn_error_a = 0;
  std::int64_t isn_error_b = 0;
  bool session_up = false;       // A's session was ESTABLISHED on both ends when the attack began
  bool probes_answered = false;  // the attacker saw both probe ISNs
  std::uint64_t session_frames_seen_by_c = 0;  // A<->B segments that reached C (off-path: 0)
  std::uint64_t injected_bytes = 0;            // bytes B's application read that A never sent
  bool injected_command_ran = false;
  bool reset = false;           // B's end of A's session was reset
  bool alive_after = false;     // B's end of A's session still ESTABLISHED at the end
  bool answered_after = false;  // A's last command (after the attack) got its answer
  tcp::ProtocolStats b_before;  // B's counters when the attack starts
  tcp::ProtocolStats b_after;   // and at the end
};

// Where one run writes the victim's (B's) view of the wire, if anywhere.
struct AttackCapture {
  link::PcapngWriter* writer = nullptr;
  std::uint32_t iface = 0;
  Duration offset{0};  // added to every timestamp, so two runs follow each other
};

// Plays one run and appends its ladder and summary to `out`.
AttackResult play_attack(const AttackOptions& opt, bool insecure, std::string& out,
                         const AttackCapture& capture = {});

// The scenario: the selected runs, then the verdict table. Returns false when a run
// did not end as it must on an unimpaired link, or when the capture could not be
// written (with a message on stderr).
bool run_attack(const AttackOptions& opt, std::string& out);

}  // namespace synack::cli
