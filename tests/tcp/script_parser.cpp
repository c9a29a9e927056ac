// Parser/formatter tests for the scripted-segment language (synack/script/script.hpp).
#include <gtest/gtest.h>

#include <string>

#include "synack/base/random.hpp"
#include "synack/script/script.hpp"

namespace synack::script {
namespace {

using wire::TcpFlags;

Line parse_ok(std::string_view text) {
  auto r = parse_line(text, 7);
  EXPECT_TRUE(r.ok()) << text << " -> " << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? *r : Line{};
}

SegmentSpec seg_of(std::string_view text) {
  const Line l = parse_ok(text);
  return std::holds_alternative<SegmentSpec>(l.body) ? std::get<SegmentSpec>(l.body)
                                                     : SegmentSpec{};
}

CallSpec call(std::string_view text) {
  const Line l = parse_ok(text);
  return std::holds_alternative<CallSpec>(l.body) ? std::get<CallSpec>(l.body) : CallSpec{};
}

ScriptErrorCode parse_err(std::string_view text) {
  auto r = parse_script(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? ScriptErrorCode::TrailingGarbage : r.error().code;
}

TEST(ScriptParser, InboundSynWithOptions) {
  const Line l =
      parse_ok("0.010 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>");
  EXPECT_EQ(l.number, 7u);
  EXPECT_FALSE(l.time.relative);
  EXPECT_EQ(l.time.at, std::chrono::milliseconds(10));
  const auto& s = std::get<SegmentSpec>(l.body);
  EXPECT_EQ(s.dir, Direction::Inbound);
  EXPECT_EQ(s.flags, TcpFlags::kSyn);
  EXPECT_EQ(s.seq, 0u);
  EXPECT_EQ(s.payload_len, 0u);
  EXPECT_FALSE(s.ack.has_value());
  EXPECT_EQ(s.win, 65535);
  ASSERT_TRUE(s.options.has_value());
  EXPECT_EQ(s.options->opts.mss, 1460);
  EXPECT_TRUE(s.options->opts.sack_permitted);
  ASSERT_TRUE(s.options->opts.timestamps.has_value());
  EXPECT_EQ(s.options->opts.timestamps->tsval, 1u);
  EXPECT_EQ(s.options->opts.timestamps->tsecr, 0u);
  EXPECT_EQ(s.options->opts.window_scale, 7);
}

TEST(ScriptParser, OutboundDataSegment) {
  const Line l = parse_ok("+0.2 > P. 1:101(100) ack 1001 win 502 urg 5");
  EXPECT_TRUE(l.time.relative);
  EXPECT_EQ(l.time.at, std::chrono::milliseconds(200));
  const auto& s = std::get<SegmentSpec>(l.body);
  EXPECT_EQ(s.dir, Direction::Outbound);
  EXPECT_EQ(s.flags, TcpFlags::kPsh | TcpFlags::kAck);
  EXPECT_EQ(s.seq, 1u);
  EXPECT_EQ(s.payload_len, 100u);
  EXPECT_EQ(s.ack, 1001u);
  EXPECT_EQ(s.win, 502);
  EXPECT_EQ(s.urg, 5);
  EXPECT_FALSE(s.options.has_value());
}

TEST(ScriptParser, SeqKeywordMeansEmptySegment) {
  const SegmentSpec s = seg_of("0 > S seq 0 win 65535");
  EXPECT_EQ(s.seq, 0u);
  EXPECT_EQ(s.payload_len, 0u);
}

TEST(ScriptParser, OutboundWithoutSeqComparesNoSeq) {
  const SegmentSpec s = seg_of("1.5 > . ack 1");
  EXPECT_FALSE(s.seq.has_value());
  EXPECT_EQ(s.ack, 1u);
}

TEST(ScriptParser, SequenceRangeWrapsModulo32) {
  const SegmentSpec s = seg_of("0 < . 4294967290:10(16) ack 1");
  EXPECT_EQ(s.seq, 4294967290u);
  EXPECT_EQ(s.payload_len, 16u);
}

TEST(ScriptParser, TimeRangeAndFractions) {
  const Line l = parse_ok("+0.000000001~+0.5 > . ack 1");
  EXPECT_TRUE(l.time.relative);
  EXPECT_EQ(l.time.at, Duration(1));
  ASSERT_TRUE(l.time.until.has_value());
  EXPECT_TRUE(l.time.until_relative);
  EXPECT_EQ(*l.time.until, std::chrono::milliseconds(500));
}

TEST(ScriptParser, CallsWithExpectations) {
  const CallSpec w = call("0.1 write(1000) = 1000");
  EXPECT_EQ(w.name, "write");
  ASSERT_EQ(w.args.size(), 1u);
  EXPECT_EQ(w.args[0].number(), 1000);
  ASSERT_TRUE(w.expect.has_value());
  EXPECT_FALSE(w.expect->is_error());
  EXPECT_EQ(w.expect->value(), 1000);

  const CallSpec r = call("0.1 read(10) = -ConnectionReset");
  ASSERT_TRUE(r.expect.has_value());
  ASSERT_TRUE(r.expect->is_error());
  EXPECT_EQ(r.expect->error(), "ConnectionReset");

  const CallSpec o = call("0 setsockopt(nodelay, 1)");
  ASSERT_EQ(o.args.size(), 2u);
  EXPECT_EQ(o.args[0].ident(), "nodelay");
  EXPECT_EQ(o.args[1].number(), 1);
  EXPECT_FALSE(o.expect.has_value());

  const CallSpec st = call("0 state(SYN_SENT)");
  EXPECT_EQ(st.args[0].ident(), "SYN_SENT");
  const CallSpec neg = call("0 read(5) = -1");
  EXPECT_EQ(neg.expect->value(), -1);

  const CallSpec c = call("0 connect(8080, 5000)");
  ASSERT_EQ(c.args.size(), 2u);
  EXPECT_EQ(c.args[1].number(), 5000);
  const CallSpec u = call("0 urgent() = 100");
  EXPECT_TRUE(u.args.empty());
  EXPECT_EQ(u.expect->value(), 100);
}

TEST(ScriptParser, SackAndWildcardTimestamps) {
  const SegmentSpec s = seg_of("0 > . 1:1(0) ack 1 <nop,nop,TS val * ecr 7,sack 11:21 31:41>");
  ASSERT_TRUE(s.options.has_value());
  EXPECT_TRUE(s.options->tsval_any);
  EXPECT_FALSE(s.options->tsecr_any);
  EXPECT_EQ(s.options->opts.timestamps->tsecr, 7u);
  ASSERT_EQ(s.options->opts.sack_count, 2);
  EXPECT_EQ(s.options->opts.sack_blocks[0].left, SeqNum(11));
  EXPECT_EQ(s.options->opts.sack_blocks[1].right, SeqNum(41));
}

TEST(ScriptParser, ScriptCommentsDirectivesAndLineNumbers) {
  const auto r = parse_script(
      "// header comment\n"
      "%remote_isn 4294967000\n"
      "\n"
      "0.000 socket()   # trailing comment\n"
      "+0.1 listen(8080) = 0 // another\n"
      "0.2 < S 0:0(0) win 1000\n");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->directives.size(), 1u);
  EXPECT_EQ(r->directives[0].key, "remote_isn");
  EXPECT_EQ(r->directives[0].value.number(), 4294967000);
  EXPECT_EQ(r->directives[0].number, 2u);
  ASSERT_EQ(r->lines.size(), 3u);
  EXPECT_EQ(r->lines[0].number, 4u);
  EXPECT_EQ(r->lines[1].number, 5u);
  EXPECT_EQ(r->lines[2].number, 6u);
}

TEST(ScriptParser, RoundTripIsCanonical) {
  const char* lines[] = {
      "0.010 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,wscale 7>",
      "0.010 > S. 0:0(0) ack 1 win 65535 <mss 1460>",
      "+0.200 > P. 1:101(100) ack 1001 win 502",
      "1.000 > FP. 5:9(4) ack 3",
      "1.000 < .U 1:2(1) ack 1 win 10 urg 1",
      "1.000 < R 0:0(0)",
      "1.000~+0.500 > . ack 1",
      "+0.000001 > . 1:1(0) <TS val * ecr *,sack 1:2 3:4 5:6 7:8>",
      "2.500 > SEW 0:0(0) win 0 <>",
      "1.000 < [ce] P.W 1:1001(1000) ack 1 win 65535",
      "1.000 > [ect0] P.E 1:101(100) ack 1",
      "1.000 > [noecn] . ack 1",
      "1.000 < [ect1] . 1:1(0) ack 1",
      "0.000 tcp_info(cwnd) = 5000",
      "0.000 write(100) = 100",
      "0.000 read(1) = -WouldBlock",
      "0.000 setsockopt(nodelay, 1)",
      "0.000 event(Readable)",
      "0.100 < S 0:0(0) win 65535 <mss 1460,FO>",
      "0.100 > S. 0:0(0) ack 1 <mss 1460,FO *>",
      "0.100 < S 0:100(100) win 65535 <mss 1460,FO 0a0b0c0d0e0f1011>",
      "0.100 connect_data(1000)",
      "0.100 peer_port(40001)",
      "0.100 tcp_stat(tfo_accepted) = 1",
  };
  for (const char* text : lines) {
    const Line l = parse_ok(text);
    EXPECT_EQ(format_line(l), text);
    const Line again = parse_ok(format_line(l));
    EXPECT_EQ(again, l) << text;
  }
}

TEST(ScriptParser, FlagsFormatInTcpdumpOrder) {
  EXPECT_EQ(format_flags(TcpFlags::kSyn | TcpFlags::kAck), "S.");
  EXPECT_EQ(format_flags(TcpFlags::kAck | TcpFlags::kFin | TcpFlags::kPsh), "FP.");
  EXPECT_EQ(format_flags(TcpFlags::kRst), "R");
  EXPECT_EQ(format_flags(0), "");
}

TEST(ScriptParser, MalformedLinesGiveTypedErrors) {
  EXPECT_EQ(parse_err("abc < S 0:0(0)"), ScriptErrorCode::BadTime);
  EXPECT_EQ(parse_err("1.2.3 < S 0:0(0)"), ScriptErrorCode::BadTime);
  EXPECT_EQ(parse_err("0.0000000001 < S 0:0(0)"), ScriptErrorCode::BadTime);
  EXPECT_EQ(parse_err("0.5~0.1 > S 0:0(0)"), ScriptErrorCode::BadTime);
  EXPECT_EQ(parse_err("+0.5~+0.1 > S 0:0(0)"), ScriptErrorCode::BadTime);
  EXPECT_EQ(parse_err("1 write(1)\n0.5 write(1)"), ScriptErrorCode::TimeGoesBackwards);
  EXPECT_EQ(parse_err("0 < SX 0:0(0)"), ScriptErrorCode::BadFlags);
  EXPECT_EQ(parse_err("0 < SS 0:0(0)"), ScriptErrorCode::BadFlags);
  EXPECT_EQ(parse_err("0 <"), ScriptErrorCode::BadFlags);
  EXPECT_EQ(parse_err("0 < S 0:10(5)"), ScriptErrorCode::BadSequence);
  EXPECT_EQ(parse_err("0 < S 0:0"), ScriptErrorCode::BadSequence);
  EXPECT_EQ(parse_err("0 < S 4294967296:0(0)"), ScriptErrorCode::BadSequence);
  EXPECT_EQ(parse_err("0 < . ack 1"), ScriptErrorCode::MissingSequence);
  EXPECT_EQ(parse_err("0 < . 1:1(0) ack -1"), ScriptErrorCode::BadNumber);
  EXPECT_EQ(parse_err("0 < . 1:1(0) win 65536"), ScriptErrorCode::BadNumber);
  EXPECT_EQ(parse_err("0 < . 1:1(0) ack 1 ack 2"), ScriptErrorCode::BadKeyword);
  EXPECT_EQ(parse_err("0 < . 1:1(0) window 5"), ScriptErrorCode::BadKeyword);
  EXPECT_EQ(parse_err("0 < . 1:1(0) 2:2(0)"), ScriptErrorCode::BadKeyword);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <mss 1460"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <mss 70000>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <mss 1,mss 2>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <TS val 1>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <sack 1:2 3:4 5:6 7:8 9:10>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <bogus>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <mss 1,>"), ScriptErrorCode::BadOption);
  // RFC 7413 cookies: 4..16 bytes, even, hex; one FO option.
  EXPECT_EQ(parse_err("0 < S 0:0(0) <FO 0a0b0c>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <FO 0a0b0c0d0e>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <FO 0a0b0c0g>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <FO 000102030405060708090a0b0c0d0e0f10>"),
            ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <FO,FO>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 < S 0:0(0) <FO 0a0b0c0d 1>"), ScriptErrorCode::BadOption);
  EXPECT_EQ(parse_err("0 frobnicate()"), ScriptErrorCode::BadCall);
  EXPECT_EQ(parse_err("0 write 5"), ScriptErrorCode::BadCall);
  EXPECT_EQ(parse_err("0 write(5"), ScriptErrorCode::BadCall);
  EXPECT_EQ(parse_err("0 write(5x)"), ScriptErrorCode::BadCall);
  EXPECT_EQ(parse_err("0 write()"), ScriptErrorCode::BadArgCount);
  EXPECT_EQ(parse_err("0 close(1)"), ScriptErrorCode::BadArgCount);
  EXPECT_EQ(parse_err("0 connect(1, 2, 3)"), ScriptErrorCode::BadArgCount);
  EXPECT_EQ(parse_err("0 urgent(1)"), ScriptErrorCode::BadArgCount);
  EXPECT_EQ(parse_err("0 setsockopt(a, 1, 2)"), ScriptErrorCode::BadArgCount);
  EXPECT_EQ(parse_err("0 write(1) = "), ScriptErrorCode::BadExpect);
  EXPECT_EQ(parse_err("0 write(1) = x-y"), ScriptErrorCode::BadExpect);
  EXPECT_EQ(parse_err("0 write(1) = 1 2"), ScriptErrorCode::TrailingGarbage);
  EXPECT_EQ(parse_err("0 write(1) junk"), ScriptErrorCode::TrailingGarbage);
  EXPECT_EQ(parse_err("%remote_isn"), ScriptErrorCode::BadDirective);
  EXPECT_EQ(parse_err("% 5"), ScriptErrorCode::BadDirective);
  EXPECT_EQ(parse_err(std::string(kMaxLineLen + 1, 'x')), ScriptErrorCode::LineTooLong);
}

TEST(ScriptParser, ErrorsCarryLineNumbers) {
  const auto r = parse_script("0 socket()\n\n// c\n0.1 < Q 0:0(0)\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().line, 4u);
  EXPECT_EQ(r.error().to_string().rfind("line 4: BadFlags", 0), 0u) << r.error().to_string();
}

TEST(ScriptParser, GarbageNeverCrashes) {
  // A deterministic sweep of mutated lines: every one parses or yields an error.
  const std::string base =
      "0.010 < SP. 1:101(100) ack 1 win 5 urg 1 <mss 1,TS val * ecr 2,sack 1:2>";
  std::size_t errors = 0;
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (char c : std::string("~+:()<>,. 0a*-=%#/")) {
      std::string m = base;
      m[i] = c;
      const auto r = parse_script(m);
      if (!r.ok()) ++errors;
      std::string cut = base.substr(0, i);
      (void)parse_script(cut);
    }
  }
  EXPECT_GT(errors, 0u);
}

TEST(ScriptParser, RandomBytesNeverCrash) {
  // Deterministic random input biased towards the language's own characters.
  SeededRandom rnd(2024);
  const std::string alphabet = "0123456789.+~<>SFRP.UEW:(),= \t\n-%#/*abcdefghijklmnopqrstuvwxyz_";
  std::size_t ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text(rnd.below(120), ' ');
    for (auto& ch : text) {
      ch = rnd.chance(0.05) ? static_cast<char>(rnd.below(256))
                            : alphabet[rnd.below(alphabet.size())];
    }
    const auto r = parse_script(text);
    if (r.ok()) {
      ++ok;
      // Whatever parses formats and parses back to the same lines.
      for (const Line& l : r->lines) {
        const auto again = parse_line(format_line(l), l.number);
        ASSERT_TRUE(again.ok()) << format_line(l);
        EXPECT_EQ(*again, l) << format_line(l);
      }
    } else {
      EXPECT_GE(r.error().line, 1u);
    }
  }
  EXPECT_GT(ok, 0u);
}

SeqBases bases() {
  return {SeqNum(1000), SeqNum(4294967000u)};
}

TEST(ScriptMatch, DescribeMakesNumbersRelative) {
  wire::TcpRepr seg;
  seg.flags.bits = TcpFlags::kPsh | TcpFlags::kAck;
  seg.seq = SeqNum(1001);
  seg.ack = SeqNum(4294967000u) + 301;  // wraps past 2^32
  seg.window = 502;
  const std::byte data[100]{};
  seg.payload = data;
  seg.options.sack_count = 1;
  seg.options.sack_blocks[0] = {SeqNum(4294967000u) + 401, SeqNum(4294967000u) + 501};
  const SegmentSpec s = describe(Direction::Outbound, seg, bases());
  EXPECT_EQ(format_segment(s), "> P. 1:101(100) ack 301 win 502 urg 0 <sack 401:501>");
}

TEST(ScriptMatch, OnlyWrittenFieldsAreCompared) {
  wire::TcpRepr seg;
  seg.flags.bits = TcpFlags::kAck;
  seg.seq = SeqNum(1001);
  seg.ack = SeqNum(4294967000u) + 1;
  seg.window = 502;
  const SegmentSpec actual = describe(Direction::Outbound, seg, bases());
  auto expect = [](std::string_view t) { return seg_of(t); };
  EXPECT_TRUE(mismatches(expect("0 > . 1:1(0) ack 1"), actual).empty());
  EXPECT_TRUE(mismatches(expect("0 > . 1:1(0) ack 1 win 502 <>"), actual).empty());
  EXPECT_EQ(mismatches(expect("0 > . 1:1(0) ack 2"), actual), std::vector<std::string>{"ack"});
  EXPECT_EQ(mismatches(expect("0 > P. 1:1(0)"), actual), std::vector<std::string>{"flags"});
  EXPECT_EQ(mismatches(expect("0 > . 1:2(1) win 501"), actual),
            (std::vector<std::string>{"len", "win"}));
  EXPECT_EQ(mismatches(expect("0 > . 0:0(0) <mss 1460>"), actual),
            (std::vector<std::string>{"seq", "options"}));
}

TEST(ScriptParser, EcnMarks) {
  // packetdrill's IP ECN marks, right after the direction.
  EXPECT_EQ(seg_of("0 < [ce] . 1:1(0) ack 1").ecn, wire::Ecn::Ce);
  EXPECT_EQ(seg_of("0 > [ect0] P. 1:2(1)").ecn, wire::Ecn::Ect0);
  EXPECT_EQ(seg_of("0 > [ect1] P. 1:2(1)").ecn, wire::Ecn::Ect1);
  EXPECT_EQ(seg_of("0 > [noecn] P. 1:2(1)").ecn, wire::Ecn::NotEct);
  EXPECT_FALSE(seg_of("0 > P. 1:2(1)").ecn.has_value());
  EXPECT_EQ(seg_of("0 > SEW 0:0(0)").flags, TcpFlags::kSyn | TcpFlags::kEce | TcpFlags::kCwr);
  EXPECT_EQ(parse_err("0 < [ect2] . 1:1(0)"), ScriptErrorCode::BadEcn);
  EXPECT_EQ(parse_err("0 < [] . 1:1(0)"), ScriptErrorCode::BadEcn);
  EXPECT_EQ(parse_err("0 < [ce ] . 1:1(0)"), ScriptErrorCode::BadEcn);
  EXPECT_EQ(parse_err("0 > [ce]"), ScriptErrorCode::BadFlags);
}

TEST(ScriptMatch, EcnMarkAbsentMeansNotEct) {
  wire::TcpRepr seg;
  seg.flags.bits = TcpFlags::kAck;
  SegmentSpec actual = describe(Direction::Outbound, seg, bases());
  actual.ecn = wire::Ecn::Ect0;
  EXPECT_TRUE(mismatches(seg_of("0 > [ect0] ."), actual).empty());
  EXPECT_EQ(mismatches(seg_of("0 > ."), actual), std::vector<std::string>{"ecn"});
  EXPECT_EQ(mismatches(seg_of("0 > [ce] ."), actual), std::vector<std::string>{"ecn"});
  actual.ecn = wire::Ecn::NotEct;
  EXPECT_TRUE(mismatches(seg_of("0 > ."), actual).empty());
  EXPECT_TRUE(mismatches(seg_of("0 > [noecn] ."), actual).empty());
}

TEST(ScriptMatch, TimestampWildcards) {
  wire::TcpRepr seg;
  seg.flags.bits = TcpFlags::kAck;
  seg.options.timestamps = wire::TcpTimestamps{12345, 77};
  const SegmentSpec actual = describe(Direction::Outbound, seg, bases());
  auto expect = [](std::string_view t) { return seg_of(t); };
  EXPECT_TRUE(mismatches(expect("0 > . <TS val * ecr 77>"), actual).empty());
  EXPECT_TRUE(mismatches(expect("0 > . <TS val * ecr *>"), actual).empty());
  EXPECT_EQ(mismatches(expect("0 > . <TS val * ecr 78>"), actual),
            std::vector<std::string>{"options"});
  EXPECT_EQ(mismatches(expect("0 > . <>"), actual), std::vector<std::string>{"options"});
}

TEST(ScriptMatch, ToReprAppliesBases) {
  const auto s = std::get<SegmentSpec>(
      parse_ok("0 < P. 1:11(10) ack 1 win 100 <TS val 5 ecr *,sack 100:200>").body);
  const wire::TcpRepr r = to_repr(s, bases(), 999);
  EXPECT_EQ(r.seq, SeqNum(4294967001u));
  EXPECT_EQ(r.ack, SeqNum(1001));
  EXPECT_EQ(r.window, 100);
  EXPECT_EQ(r.flags.bits, TcpFlags::kPsh | TcpFlags::kAck);
  ASSERT_TRUE(r.options.timestamps.has_value());
  EXPECT_EQ(r.options.timestamps->tsval, 5u);
  EXPECT_EQ(r.options.timestamps->tsecr, 999u);
  EXPECT_EQ(r.options.sack_blocks[0].left, SeqNum(1100));
  EXPECT_EQ(r.options.sack_blocks[0].right, SeqNum(1200));
  // Round trip through describe gives the script's own numbers back.
  const SegmentSpec back = describe(Direction::Inbound, r, bases());
  EXPECT_EQ(back.seq, 1u);
  EXPECT_EQ(back.ack, 1u);
}

}  // namespace
}  // namespace synack::script
