// reel/samples/common/selftest.cpp — checks the shared sample code: checksums, the PNG encoder (decoded back
// here: stored deflate blocks are simple to read), the metrics CSV round trip, the plot, the argument parser
// and the loss trend. Runs in CTest as sample_common_selftest; prints each failed check and exits 1.
#include <reel/reel.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli.h"
#include "image.h"
#include "metrics.h"
#include "plot.h"
#include "progress.h"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what.c_str());
    ++failures;
  }
}

uint32_t read_u32_be(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Reads a PNG made of stored deflate blocks back into its filtered rows; checks every chunk's CRC and the
// zlib Adler-32 on the way. Returns an empty vector when anything is wrong.
std::vector<uint8_t> decode_stored_png(const std::vector<uint8_t>& file, int& width, int& height) {
  const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (file.size() < 8 || std::memcmp(file.data(), signature, 8) != 0) return {};
  std::vector<uint8_t> zlib_stream;
  size_t at = 8;
  bool ended = false;
  while (at + 12 <= file.size() && !ended) {
    const uint32_t length = read_u32_be(&file[at]);
    if (at + 12 + length > file.size()) return {};
    const std::string type(reinterpret_cast<const char*>(&file[at + 4]), 4);
    const uint8_t* body = &file[at + 8];
    if (reel_samples::crc32(&file[at + 4], 4 + length) != read_u32_be(body + length)) return {};
    if (type == "IHDR") {
      width = static_cast<int>(read_u32_be(body));
      height = static_cast<int>(read_u32_be(body + 4));
      if (body[8] != 8 || body[9] != 2) return {};
    } else if (type == "IDAT") {
      zlib_stream.insert(zlib_stream.end(), body, body + length);
    } else if (type == "IEND") {
      ended = true;
    }
    at += 12 + length;
  }
  if (!ended || zlib_stream.size() < 6 || zlib_stream[0] != 0x78 || (zlib_stream[0] * 256 + zlib_stream[1]) % 31)
    return {};
  std::vector<uint8_t> raw;
  size_t pos = 2;
  for (bool last = false; !last;) {
    if (pos + 5 > zlib_stream.size()) return {};
    last = zlib_stream[pos] & 1;
    if ((zlib_stream[pos] >> 1) != 0) return {};  // only stored blocks are expected
    const uint16_t len = static_cast<uint16_t>(zlib_stream[pos + 1] | (zlib_stream[pos + 2] << 8));
    const uint16_t nlen = static_cast<uint16_t>(zlib_stream[pos + 3] | (zlib_stream[pos + 4] << 8));
    if (static_cast<uint16_t>(~len) != nlen || pos + 5 + len > zlib_stream.size()) return {};
    raw.insert(raw.end(), zlib_stream.begin() + static_cast<std::ptrdiff_t>(pos + 5),
               zlib_stream.begin() + static_cast<std::ptrdiff_t>(pos + 5 + len));
    pos += 5 + len;
  }
  if (pos + 4 != zlib_stream.size() || read_u32_be(&zlib_stream[pos]) != reel_samples::adler32(raw.data(), raw.size()))
    return {};
  return raw;
}

void check_checksums() {
  const char* digits = "123456789";
  check(reel_samples::crc32(reinterpret_cast<const uint8_t*>(digits), 9) == 0xCBF43926u, "crc32(123456789)");
  const char* word = "Wikipedia";
  check(reel_samples::adler32(reinterpret_cast<const uint8_t*>(word), 9) == 0x11E60398u, "adler32(Wikipedia)");
  check(reel_samples::adler32(nullptr, 0) == 1u, "adler32 of nothing is 1");
}

void check_png() {
  // Big enough for two stored blocks (more than 65535 bytes of rows).
  reel_samples::Canvas canvas(200, 120, reel_samples::kWhite);
  canvas.line(0, 0, 199, 119, {255, 0, 0});
  canvas.fill_rect(10, 10, 12, 11, {0, 0, 255});
  canvas.text(20, 40, "LOSS 0.25", reel_samples::kBlack, 2);
  check(canvas.get(0, 0).r == 255 && canvas.get(0, 0).g == 0, "line starts at its first point");
  check(canvas.get(199, 119).r == 255 && canvas.get(199, 119).b == 0, "line ends at its last point");
  check(canvas.get(11, 10).b == 255 && canvas.get(13, 10).b == 255 && canvas.get(13, 10).r == 255,
        "fill_rect covers its inclusive corners only");
  int dark = 0;
  for (int y = 40; y < 54; ++y)
    for (int x = 20; x < 20 + reel_samples::Canvas::text_width("LOSS 0.25", 2); ++x) dark += canvas.get(x, y).g == 0;
  check(dark > 50, "text draws pixels");

  int width = 0, height = 0;
  const std::vector<uint8_t> rows = decode_stored_png(reel_samples::encode_png(canvas), width, height);
  check(width == 200 && height == 120, "PNG header size");
  check(rows.size() == static_cast<size_t>(height) * (1 + width * 3), "PNG data size");
  bool same = rows.size() == static_cast<size_t>(height) * (1 + width * 3);
  for (int y = 0; same && y < height; ++y) {
    same = rows[static_cast<size_t>(y) * (1 + width * 3)] == 0 &&
           std::memcmp(&rows[static_cast<size_t>(y) * (1 + width * 3) + 1], &canvas.pixels()[static_cast<size_t>(y) * width * 3],
                       static_cast<size_t>(width) * 3) == 0;
  }
  check(same, "PNG rows decode to the canvas pixels");
}

void check_metrics_and_plot(const std::filesystem::path& dir) {
  const std::string csv = (dir / "selftest_metrics.csv").string();
  {
    reel_samples::MetricsWriter writer(csv, {"epoch", "train_loss", "test_acc"});
    writer.row({1, 2.5, 0.5});
    writer.row({2, 1.25, NAN});
    writer.row({3, 0.625, 0.875});
    bool threw = false;
    try {
      writer.row({4, 1});
    } catch (const reel::Error&) {
      threw = true;
    }
    check(threw, "a row with the wrong number of values throws");
  }
  const reel_samples::MetricsTable table = reel_samples::read_metrics(csv);
  check(table.columns.size() == 3 && table.column("test_acc") == 2, "CSV header round trip");
  check(table.rows.size() == 3 && table.rows[2][1] == 0.625 && std::isnan(table.rows[1][2]), "CSV values round trip");
  const std::string png = (dir / "selftest.png").string();
  reel_samples::plot_metrics(table, png, "selftest");
  std::ifstream in(png, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int width = 0, height = 0;
  check(!decode_stored_png(bytes, width, height).empty() && width > 400 && height > 100, "the plot is a valid PNG");
  bool threw = false;
  try {
    reel_samples::plot_metrics(reel_samples::MetricsTable{{"epoch", "lr"}, {{1, 0.1}}}, png, "nothing to draw");
  } catch (const reel::Error&) {
    threw = true;
  }
  check(threw, "a table without loss/ppl/acc columns is refused");
}

void check_arguments() {
  reel_samples::CommonOptions common;
  common.epochs = 3;
  int64_t hidden = 16;
  double lr = 0.5;
  reel_samples::ArgParser args("selftest", "checks");
  args.add_common(common);
  args.option("--hidden", hidden, "units");
  args.option("--lr", lr, "rate");
  const char* argv[] = {"selftest", "--epochs", "7", "--hidden=32", "--lr", "1e-3", "--no-plot", "--device", "cpu"};
  check(args.parse(9, const_cast<char**>(argv)), "parse succeeds");
  check(common.epochs == 7 && hidden == 32 && lr == 1e-3 && !common.plot && common.device == "cpu",
        "parsed values land in their targets");
  check(args.help_text().find("--hidden VALUE") != std::string::npos &&
            args.help_text().find("[16]") != std::string::npos,
        "help lists options with their defaults");
  for (std::vector<const char*> bad : {std::vector<const char*>{"selftest", "--bogus"},
                                       std::vector<const char*>{"selftest", "--epochs"},
                                       std::vector<const char*>{"selftest", "--epochs", "two"},
                                       std::vector<const char*>{"selftest", "--lr", "0.1x"}}) {
    bool threw = false;
    try {
      args.parse(static_cast<int>(bad.size()), const_cast<char**>(bad.data()));
    } catch (const reel::Error&) {
      threw = true;
    }
    check(threw, std::string("bad arguments are refused: ") + bad.back());
  }
  bool threw = false;
  try {
    reel_samples::CommonOptions gpu;
    gpu.device = "cuda:7";
    gpu.out = (std::filesystem::temp_directory_path() / "reel_selftest").string();
    if (reel::cuda::device_count() > 7) threw = true;  // cannot fail here: skip the check on such a machine
    else reel_samples::setup(gpu);
  } catch (const reel::Error&) {
    threw = true;
  }
  check(threw, "--device cuda:7 without that GPU is refused with a reel::Error");
}

void check_loss_trend() {
  reel_samples::LossTrend falling, flat, broken;
  for (int i = 0; i < 8; ++i) falling.add(2.0 - 0.2 * i);
  for (int i = 0; i < 8; ++i) flat.add(1.0);
  broken.add(2.0);
  broken.add(NAN);
  broken.add(0.5);
  check(falling.fell() && std::fabs(falling.first_mean() - 1.9) < 1e-12, "a falling loss is seen as falling");
  check(!flat.fell(), "a flat loss did not fall");
  check(!broken.fell(), "a NaN loss did not fall");
  check(reel_samples::format_duration(3725) == "1:02:05" && reel_samples::format_duration(65) == "1:05",
        "durations format as h:mm:ss / m:ss");
}

}  // namespace

int main() {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "reel_sample_selftest";
  std::filesystem::create_directories(dir);
  check_checksums();
  check_png();
  check_metrics_and_plot(dir);
  check_arguments();
  check_loss_trend();
  std::printf("sample common code: %s\n", failures == 0 ? "all checks passed" : "some checks FAILED");
  return failures == 0 ? 0 : 1;
}
