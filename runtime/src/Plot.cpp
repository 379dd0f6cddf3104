//===- Plot.cpp - learning curves of a report as an SVG image --------------===//
//
// Two panels, loss and accuracy, each with the train and the test curve over
// the epochs. Plain SVG 1.1 text: any browser shows it, nothing to install.
//
//===----------------------------------------------------------------------===//

#include "AtomicFile.h"

#include "kiln/report.h"

#include <algorithm>
#include <cstdarg>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace kiln;

namespace {

constexpr double kPanelWidth = 420, kPanelHeight = 300, kMargin = 50;
constexpr const char *kTrainColor = "#1f77b4", *kTestColor = "#ff7f0e";

struct Series {
  const char *label;
  const char *color;
  std::vector<double> values; // one per epoch; NaN: not measured
};

class Svg {
public:
  void add(const char *format, ...) __attribute__((format(printf, 2, 3))) {
    char buffer[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buffer, sizeof(buffer), format, args);
    va_end(args);
    text += buffer;
  }
  std::string text;
};

/// A "nice" axis range covering the finite values: accuracy is always [0, 1].
void valueRange(const std::vector<Series> &series, bool unitRange, double &low,
                double &high) {
  low = 0;
  high = unitRange ? 1 : 0;
  for (const Series &s : series)
    for (double v : s.values)
      if (std::isfinite(v))
        high = std::max(high, v);
  if (high <= low)
    high = low + 1;
}

void panel(Svg &svg, double left, const char *title, const std::vector<Series> &series,
           int64_t epochs, bool unitRange) {
  double top = 40, width = kPanelWidth - kMargin - 20, height = kPanelHeight - 90;
  double x0 = left + kMargin, y0 = top + height;
  double low, high;
  valueRange(series, unitRange, low, high);
  auto xOf = [&](int64_t epoch) {
    return epochs > 1 ? x0 + width * double(epoch - 1) / double(epochs - 1)
                      : x0 + width / 2;
  };
  auto yOf = [&](double v) { return y0 - height * (v - low) / (high - low); };

  svg.add("<text x=\"%.1f\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">%s</text>\n",
          x0 + width / 2, title);
  svg.add("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
          "stroke=\"#888\"/>\n",
          x0, top, width, height);
  for (int tick = 0; tick <= 4; ++tick) {
    double v = low + (high - low) * tick / 4;
    svg.add("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.3g</text>\n",
            x0, yOf(v), x0 + width, yOf(v), x0 - 6, yOf(v) + 4, v);
  }
  int64_t every = std::max<int64_t>(1, epochs / 8);
  for (int64_t epoch = 1; epoch <= epochs; epoch += every)
    svg.add("<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
            "text-anchor=\"middle\">%lld</text>\n",
            xOf(epoch), y0 + 16, (long long)epoch);
  svg.add("<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
          "text-anchor=\"middle\">epoch</text>\n",
          x0 + width / 2, y0 + 34);

  for (size_t i = 0; i < series.size(); ++i) {
    const Series &s = series[i];
    std::string points;
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
      double v = s.values[size_t(epoch - 1)];
      if (!std::isfinite(v))
        continue;
      char point[64];
      std::snprintf(point, sizeof(point), "%.1f,%.1f ", xOf(epoch), yOf(v));
      points += point;
      svg.add("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", xOf(epoch), yOf(v),
              s.color);
    }
    if (!points.empty())
      svg.add("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n",
              s.color, points.c_str());
    double legendY = y0 + 52;
    double legendX = x0 + double(i) * 90;
    svg.add("<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n",
            legendX, legendY - 4, s.color, legendX + 18, legendY, s.label);
  }
}

} // namespace

int kiln_report_write_svg(const kiln_report *report, const char *path, char *err,
                          size_t err_len) {
  Series trainLoss{"train", kTrainColor, {}}, testLoss{"test", kTestColor, {}};
  Series trainAccuracy{"train", kTrainColor, {}}, testAccuracy{"test", kTestColor, {}};
  for (int64_t i = 0; i < report->history_size; ++i) {
    const kiln_epoch_stats &stats = report->history[i];
    trainLoss.values.push_back(stats.train_loss);
    testLoss.values.push_back(stats.test_loss);
    trainAccuracy.values.push_back(stats.train_accuracy);
    testAccuracy.values.push_back(stats.test_accuracy);
  }
  Svg svg;
  svg.add("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "font-family=\"sans-serif\">\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          2 * kPanelWidth, kPanelHeight);
  panel(svg, 0, "loss", {trainLoss, testLoss}, report->history_size, false);
  panel(svg, kPanelWidth, "accuracy", {trainAccuracy, testAccuracy},
        report->history_size, true);
  svg.add("</svg>\n");
  return writeFileAtomically(path, svg.text.data(), svg.text.size(), err, err_len) ? 0
                                                                                 : -1;
}
