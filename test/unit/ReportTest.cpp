//===- ReportTest.cpp - the JSON report file -------------------------------===//

#include "TestSupport.h"

#include "kiln/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace kiln::test;
using ::testing::HasSubstr;

namespace {

/// A strict recursive-descent JSON checker that records the keys of the
/// top-level object, enough to tell that the report parses.
class JsonChecker {
public:
  explicit JsonChecker(const std::string &text) : text(text) {}

  bool parse() {
    bool ok = value(0);
    skipSpace();
    return ok && pos == text.size();
  }
  std::set<std::string> topLevelKeys;

private:
  bool value(int depth) {
    skipSpace();
    if (pos >= text.size())
      return false;
    char c = text[pos];
    if (c == '{')
      return object(depth);
    if (c == '[')
      return array(depth);
    if (c == '"') {
      std::string ignored;
      return string(ignored);
    }
    for (const char *literal : {"null", "true", "false"})
      if (text.compare(pos, std::strlen(literal), literal) == 0) {
        pos += std::strlen(literal);
        return true;
      }
    size_t start = pos;
    if (text[pos] == '-')
      ++pos;
    while (pos < text.size() && (std::isdigit(text[pos]) || std::strchr(".eE+-", text[pos])))
      ++pos;
    return pos > start && std::isdigit(text[pos - 1]);
  }
  bool object(int depth) {
    ++pos;
    skipSpace();
    if (consume('}'))
      return true;
    do {
      skipSpace();
      std::string key;
      if (!string(key))
        return false;
      if (depth == 0)
        topLevelKeys.insert(key);
      skipSpace();
      if (!consume(':') || !value(depth + 1))
        return false;
      skipSpace();
    } while (consume(','));
    return consume('}');
  }
  bool array(int depth) {
    ++pos;
    skipSpace();
    if (consume(']'))
      return true;
    do {
      if (!value(depth + 1))
        return false;
      skipSpace();
    } while (consume(','));
    return consume(']');
  }
  bool string(std::string &out) {
    if (!consume('"'))
      return false;
    while (pos < text.size() && text[pos] != '"') {
      if (text[pos] == '\\')
        ++pos;
      else if (static_cast<unsigned char>(text[pos]) < 0x20)
        return false;
      out += text[pos++];
    }
    return consume('"');
  }
  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  void skipSpace() {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  }

  const std::string &text;
  size_t pos = 0;
};

std::string readFile(const std::string &path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class ReportTest : public ::testing::Test {
protected:
  void SetUp() override {
    history[0] = {1, 0.75, 0.5, 0.8125, 0.625};
    history[1] = {2, 0.25, NAN, INFINITY, NAN};
    report.model = const_cast<char *>("mlp \"v2\"\n");
    report.test_accuracy = 0.9;
    report.test_loss = NAN;
    report.train_loss = 0.123456789;
    report.epochs = 2;
    report.steps = 1876;
    report.batch_size = 64;
    report.seed = 18446744073709551615ull;
    report.train_seconds = 1.5;
    report.images_per_second = 80000;
    report.history_size = 2;
    report.history = history;
  }

  kiln_epoch_stats history[2];
  kiln_report report{};
  ScratchDir scratch;
  char err[512] = "";
};

TEST_F(ReportTest, WritesValidJsonWithAllKeys) {
  std::string path = scratch.path("report.json");
  ASSERT_EQ(kiln_report_write_json(&report, path.c_str(), err, sizeof(err)), 0) << err;
  std::string json = readFile(path);
  JsonChecker checker(json);
  ASSERT_TRUE(checker.parse()) << json;
  EXPECT_EQ(checker.topLevelKeys,
            (std::set<std::string>{"model", "test_accuracy", "test_loss", "train_loss",
                                   "epochs", "steps", "batch_size", "seed",
                                   "train_seconds", "images_per_second", "history"}));
  EXPECT_THAT(json, HasSubstr("\"model\":\"mlp \\\"v2\\\"\\u000a\""));
  EXPECT_THAT(json, HasSubstr("\"test_loss\":null"));
  EXPECT_THAT(json, HasSubstr("\"train_loss\":0.123456789"));
  EXPECT_THAT(json, HasSubstr("\"seed\":18446744073709551615"));
  EXPECT_THAT(json, HasSubstr("\"history\":[{\"epoch\":1,\"train_loss\":0.75,"
                              "\"test_loss\":0.5,\"test_accuracy\":0.8125,"
                              "\"train_accuracy\":0.625},"
                              "{\"epoch\":2,\"train_loss\":0.25,\"test_loss\":null,"
                              "\"test_accuracy\":null,\"train_accuracy\":null}]"));
}

TEST_F(ReportTest, ReplacesTheFileAndLeavesNoTemporary) {
  std::string path = scratch.path("report.json");
  writeFile(path, {'o', 'l', 'd'});
  ASSERT_EQ(kiln_report_write_json(&report, path.c_str(), err, sizeof(err)), 0) << err;
  EXPECT_THAT(readFile(path), HasSubstr("\"steps\":1876"));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(ReportTest, ReportsUnwritablePath) {
  std::string path = scratch.path("no-such-dir/report.json");
  EXPECT_EQ(kiln_report_write_json(&report, path.c_str(), err, sizeof(err)), -1);
  EXPECT_EQ(std::string(err),
            path + ".tmp: cannot create: No such file or directory");
}

TEST_F(ReportTest, PlotsLossAndAccuracyCurvesAsSvg) {
  std::string path = scratch.path("curves.svg");
  ASSERT_EQ(kiln_report_write_svg(&report, path.c_str(), err, sizeof(err)), 0) << err;
  std::string svg = readFile(path);
  EXPECT_THAT(svg, ::testing::StartsWith("<?xml version=\"1.0\""));
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr(">loss</text>"));
  EXPECT_THAT(svg, HasSubstr(">accuracy</text>"));
  // Loss: train over both epochs, test only where measured (epoch 1);
  // accuracy: train at epoch 1, test at epoch 1 (epoch 2 is not finite).
  size_t lines = 0, points = 0;
  for (size_t at = 0; (at = svg.find("<polyline", at)) != std::string::npos; ++at)
    ++lines;
  for (size_t at = 0; (at = svg.find("<circle", at)) != std::string::npos; ++at)
    ++points;
  EXPECT_EQ(lines, 4u);
  EXPECT_EQ(points, 2u + 1 + 1 + 1);
  EXPECT_THAT(svg, HasSubstr("</svg>\n"));
}

TEST(ReportFreeTest, FreeingAZeroedReportIsHarmless) {
  kiln_report report{};
  kiln_report_free(&report);
  EXPECT_EQ(report.history, nullptr);
}

} // namespace
