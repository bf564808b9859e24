// reel/samples/common/image.h — a tiny RGB canvas and a PNG writer with no library behind them.
//
// Canvas draws what the metric plots need: filled rectangles, lines (Bresenham, optionally 2 px thick) and text
// in a built-in 5x7 pixel font (digits, letters, a few signs; lower case is drawn as upper case), scaled by an
// integer factor. encode_png turns the canvas into a PNG file image: 8-bit RGB, filter 0 on every row, the
// pixel stream wrapped in zlib with *stored* (uncompressed) deflate blocks, Adler-32 for zlib and CRC-32 for the
// chunks. Files are larger than a compressing encoder's, and every PNG reader opens them.
//
//   reel_samples::Canvas canvas(400, 300, reel_samples::kWhite);
//   canvas.line(10, 10, 390, 290, {200, 0, 0});
//   canvas.text(20, 20, "loss 0.25", reel_samples::kBlack, 2);
//   reel_samples::write_png("plot.png", canvas);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace reel_samples {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};
inline constexpr Rgb kWhite{255, 255, 255};
inline constexpr Rgb kBlack{0, 0, 0};
inline constexpr Rgb kGrey{200, 200, 200};

class Canvas {
 public:
  Canvas(int width, int height, Rgb background = kWhite);
  int width() const { return width_; }
  int height() const { return height_; }
  // Pixels outside the canvas are ignored by every drawing call.
  void set(int x, int y, Rgb colour);
  Rgb get(int x, int y) const;
  void fill_rect(int x0, int y0, int x1, int y1, Rgb colour);  // inclusive corners, any order
  void line(int x0, int y0, int x1, int y1, Rgb colour, int thickness = 1);
  // Draws `text` with its top-left corner at (x, y); each font pixel becomes scale x scale pixels.
  void text(int x, int y, const std::string& text, Rgb colour, int scale = 1);
  // Text rotated a quarter turn counter-clockwise (reads bottom to top), for a y-axis label; (x, y) is the
  // bottom-left corner of the rotated text.
  void text_vertical(int x, int y, const std::string& text, Rgb colour, int scale = 1);
  static int text_width(const std::string& text, int scale = 1);
  static int text_height(int scale = 1) { return 7 * scale; }
  const std::vector<uint8_t>& pixels() const { return pixels_; }  // RGB, row-major

 private:
  int width_, height_;
  std::vector<uint8_t> pixels_;
};

// The PNG file image of a canvas.
std::vector<uint8_t> encode_png(const Canvas& canvas);
// Writes it; throws reel::Error when the file cannot be written.
void write_png(const std::string& path, const Canvas& canvas);

// The checksums the PNG format uses, exposed for the tests: CRC-32 (ISO 3309, as in zlib's crc32) and Adler-32.
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);
uint32_t adler32(const uint8_t* data, size_t size, uint32_t adler = 1);

}  // namespace reel_samples
