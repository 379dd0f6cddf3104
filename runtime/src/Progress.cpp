//===- Progress.cpp - training progress on stderr -------------------------===//

#include "Progress.h"

#include <cinttypes>
#include <cmath>
#include <cstring>
#include <string>

#include <unistd.h>

using namespace kiln;

namespace {

constexpr int kBarWidth = 24;
// Redrawing a terminal line on every step would cost more than small steps.
constexpr std::chrono::milliseconds kRedrawInterval(100);

/// "  acc 0.8125", or "" when no batch was sampled.
std::string accuracyPart(double accuracy) {
  if (std::isnan(accuracy))
    return "";
  char text[32];
  std::snprintf(text, sizeof(text), "  acc %.4f", accuracy);
  return text;
}

std::string duration(double seconds) {
  int64_t total = std::isfinite(seconds) && seconds > 0 ? int64_t(seconds + 0.5) : 0;
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof(text), "%" PRId64 ":%02d:%02d", total / 3600,
                  int(total / 60 % 60), int(total % 60));
  else
    std::snprintf(text, sizeof(text), "%d:%02d", int(total / 60), int(total % 60));
  return text;
}

} // namespace

Progress::Progress(const kiln_train_options &options, std::FILE *out)
    : out(out), epochs(options.epochs) {
  if (options.quiet)
    style = Style::None;
  else if (options.progress == KILN_PROGRESS_BAR ||
           (options.progress == KILN_PROGRESS_AUTO && isatty(fileno(out))))
    style = Style::Bar;
  else
    style = Style::Lines;
}

void Progress::onStep(const StepEvent &step) {
  if (style == Style::Bar) {
    drawBar(step);
    return;
  }
  if (style != Style::Lines || !step.sampled || step.batch == step.batchesPerEpoch)
    return;
  std::fprintf(out,
               "epoch %" PRId64 "/%" PRId64 "  step %" PRId64 "/%" PRId64
               "  loss %.4f%s  %.0f img/s\n",
               step.epoch, epochs, step.batch, step.batchesPerEpoch, step.epochLoss,
               accuracyPart(step.epochAccuracy).c_str(), step.imagesPerSecond);
}

void Progress::drawBar(const StepEvent &step) {
  auto now = std::chrono::steady_clock::now();
  if (barShown && now - lastDraw < kRedrawInterval && step.batch != step.batchesPerEpoch)
    return;
  lastDraw = now;
  barShown = true;
  int filled = int(kBarWidth * step.batch / step.batchesPerEpoch);
  std::string bar(size_t(filled), '=');
  if (filled < kBarWidth)
    bar += '>' + std::string(size_t(kBarWidth - filled - 1), ' ');
  // \r returns to the line start, ESC[K clears what a longer line left.
  std::fprintf(out,
               "\r\033[Kepoch %" PRId64 "/%" PRId64 " [%s] %" PRId64 "/%" PRId64
               "  loss %.4f%s  %.0f img/s  ETA %s",
               step.epoch, epochs, bar.c_str(), step.batch, step.batchesPerEpoch,
               step.epochLoss, accuracyPart(step.epochAccuracy).c_str(),
               step.imagesPerSecond, duration(step.etaSeconds).c_str());
  std::fflush(out);
}

void Progress::onEpoch(const kiln_epoch_stats &stats, int64_t batchesPerEpoch,
                       double imagesPerSecond) {
  if (style == Style::None)
    return;
  char testPart[64] = "";
  if (!std::isnan(stats.test_loss))
    std::snprintf(testPart, sizeof(testPart), "  test_loss %.4f", stats.test_loss);
  if (!std::isnan(stats.test_accuracy))
    std::snprintf(testPart + std::strlen(testPart), sizeof(testPart) - std::strlen(testPart),
                  "  test_acc %.4f", stats.test_accuracy);
  std::fprintf(out,
               "%sepoch %" PRId64 "/%" PRId64 "  step %" PRId64 "/%" PRId64
               "  loss %.4f%s%s  %.0f img/s\n",
               style == Style::Bar ? "\r\033[K" : "", stats.epoch, epochs,
               batchesPerEpoch, batchesPerEpoch, stats.train_loss,
               accuracyPart(stats.train_accuracy).c_str(), testPart, imagesPerSecond);
  barShown = false;
}
