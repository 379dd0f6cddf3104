//===- Report.cpp - the training report and its JSON file ------------------===//

#include "AtomicFile.h"

#include "kiln/report.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace kiln;

void kiln_report_free(kiln_report *report) {
  std::free(report->model);
  std::free(report->history);
  *report = kiln_report{};
}

namespace {

/// Appends JSON text; numbers keep 9 significant digits, which round-trips a
/// float, and non-finite values become null so the file always parses.
class JsonWriter {
public:
  void key(const char *name) {
    separate();
    quoted(name);
    text += ':';
    needComma = false;
  }
  void number(double value) {
    separate();
    if (!std::isfinite(value)) {
      text += "null";
      return;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.9g", value);
    text += buffer;
  }
  void integer(int64_t value) {
    separate();
    text += std::to_string(value);
  }
  void unsignedInteger(uint64_t value) {
    separate();
    text += std::to_string(value);
  }
  void string(const char *value) {
    separate();
    quoted(value);
  }
  void open(char bracket) {
    separate();
    text += bracket;
    needComma = false;
  }
  void close(char bracket) {
    text += bracket;
    needComma = true;
  }
  const std::string &str() const { return text; }

private:
  /// Emits a comma before every member or element but the first.
  void separate() {
    if (needComma)
      text += ',';
    needComma = true;
  }

  void quoted(const char *value) {
    text += '"';
    for (const char *c = value; *c; ++c) {
      unsigned char byte = static_cast<unsigned char>(*c);
      if (byte == '"' || byte == '\\') {
        text += '\\';
        text += *c;
      } else if (byte < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof(escaped), "\\u%04x", byte);
        text += escaped;
      } else {
        text += *c;
      }
    }
    text += '"';
  }

  std::string text;
  bool needComma = false;
};

std::string toJson(const kiln_report &report) {
  JsonWriter json;
  json.open('{');
  json.key("model");
  json.string(report.model ? report.model : "");
  if (!report.regression) {
    json.key("test_accuracy");
    json.number(report.test_accuracy);
  }
  if (report.top_k > 0) {
    json.key("top_k");
    json.integer(report.top_k);
    json.key("test_top_k_accuracy");
    json.number(report.test_top_k_accuracy);
  }
  json.key("test_loss");
  json.number(report.test_loss);
  json.key("train_loss");
  json.number(report.train_loss);
  json.key("epochs");
  json.integer(report.epochs);
  json.key("steps");
  json.integer(report.steps);
  json.key("batch_size");
  json.integer(report.batch_size);
  json.key("seed");
  json.unsignedInteger(report.seed);
  json.key("train_seconds");
  json.number(report.train_seconds);
  json.key("images_per_second");
  json.number(report.images_per_second);
  json.key("history");
  json.open('[');
  for (int64_t i = 0; i < report.history_size; ++i) {
    const kiln_epoch_stats &stats = report.history[i];
    json.open('{');
    json.key("epoch");
    json.integer(stats.epoch);
    json.key("train_loss");
    json.number(stats.train_loss);
    json.key("test_loss");
    json.number(stats.test_loss);
    if (!report.regression) {
      json.key("test_accuracy");
      json.number(stats.test_accuracy);
      json.key("train_accuracy");
      json.number(stats.train_accuracy);
    }
    json.close('}');
  }
  json.close(']');
  json.close('}');
  return json.str() + "\n";
}

} // namespace

int kiln_report_write_json(const kiln_report *report, const char *path, char *err,
                           size_t err_len) {
  std::string json = toJson(*report);
  return writeFileAtomically(path, json.data(), json.size(), err, err_len) ? 0 : -1;
}
