// PyTorch's tensor printing: one formatter over the (summarized) values picks fixed, integer
// or scientific notation and a common width; rows nest with torch's indentation and wrapping.
#include "interp/tensor_repr.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace gyro {

namespace {

constexpr int kPrecision = 4;
constexpr int kLinewidth = 80;
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;

// Element i along dim 0.
Tensor row(const Tensor& t, int64_t i) {
  Dims sizes, strides;
  for (int d = 1; d < t.dim(); ++d) {
    sizes.push_back(t.size(d));
    strides.push_back(t.stride(d));
  }
  return t.as_strided(sizes, strides, t.offset() + i * t.stride(0));
}

// One element as a double, or its exact text for integers and bools.
double element(const Tensor& t) {
  return t.item();
}

// The rows a summarized print shows (all of them when not summarizing).
std::vector<int64_t> shown_rows(const Tensor& t, bool summarize) {
  std::vector<int64_t> rows;
  int64_t n = t.size(0);
  if (summarize && n > 2 * kEdgeItems) {
    for (int64_t i = 0; i < kEdgeItems; ++i) rows.push_back(i);
    for (int64_t i = n - kEdgeItems; i < n; ++i) rows.push_back(i);
  } else {
    for (int64_t i = 0; i < n; ++i) rows.push_back(i);
  }
  return rows;
}

// Every element the print shows, in order (PyTorch's get_summarized_data).
void collect(const Tensor& t, bool summarize, std::vector<Tensor>& out) {
  if (t.dim() == 0) {
    out.push_back(t);
    return;
  }
  for (int64_t i : shown_rows(t, summarize)) collect(row(t, i), summarize, out);
}

std::string python_fixed(double value, int precision) {
  if (std::isnan(value)) return "nan";
  return fmt::format("{:.{}f}", value, precision);
}
std::string python_sci(double value) {
  if (std::isnan(value)) return "nan";
  return fmt::format("{:.{}e}", value, kPrecision);
}

class Formatter {
 public:
  Formatter(const std::vector<Tensor>& elements, DType dtype) : dtype_(dtype) {
    if (!is_floating(dtype)) {
      for (const Tensor& e : elements) width_ = std::max<int>(width_, text_of(e).size());
      return;
    }
    std::vector<double> finite;  // nonzero finite values decide the notation
    for (const Tensor& e : elements) {
      double v = element(e);
      if (std::isfinite(v) && v != 0) finite.push_back(v);
    }
    if (finite.empty()) return;
    double lo = std::abs(finite[0]), hi = lo;
    for (double v : finite) {
      lo = std::min(lo, std::abs(v));
      hi = std::max(hi, std::abs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    if (int_mode_) {
      sci_mode_ = hi / lo > 1000.0 || hi > 1e8;
      for (double v : finite)
        width_ =
            std::max<int>(width_, sci_mode_ ? python_sci(v).size() : python_fixed(v, 0).size() + 1);
    } else {
      sci_mode_ = hi / lo > 1000.0 || hi > 1e8 || lo < 1e-4;
      for (double v : finite)
        width_ = std::max<int>(
            width_, sci_mode_ ? python_sci(v).size() : python_fixed(v, kPrecision).size());
    }
  }

  int width() const { return width_; }

  std::string format(const Tensor& e) const {
    std::string text;
    if (!is_floating(dtype_)) {
      text = text_of(e);
    } else {
      double v = element(e);
      if (sci_mode_) {
        text = python_sci(v);
      } else if (int_mode_) {
        text = python_fixed(v, 0);
        if (std::isfinite(v)) text += '.';
      } else {
        text = python_fixed(v, kPrecision);
      }
    }
    if (static_cast<int>(text.size()) < width_) text.insert(0, width_ - text.size(), ' ');
    return text;
  }

 private:
  std::string text_of(const Tensor& e) const {
    if (dtype_ == DType::Bool) return e.to_vector<bool>()[0] ? "True" : "False";
    return fmt::format("{}", e.to_vector<int64_t>()[0]);
  }

  DType dtype_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  int width_ = 1;
};

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

std::string vector_str(const Tensor& t, int indent, bool summarize, const Formatter& formatter) {
  const int element_length = formatter.width() + 2;
  const int per_line = std::max(1, (kLinewidth - indent) / element_length);
  std::vector<std::string> data;
  int64_t n = t.size(0);
  if (summarize && n > 2 * kEdgeItems) {
    for (int64_t i = 0; i < kEdgeItems; ++i) data.push_back(formatter.format(row(t, i)));
    data.push_back(" ...");
    for (int64_t i = n - kEdgeItems; i < n; ++i) data.push_back(formatter.format(row(t, i)));
  } else {
    for (int64_t i = 0; i < n; ++i) data.push_back(formatter.format(row(t, i)));
  }
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < data.size(); i += per_line) {
    std::vector<std::string> line(data.begin() + i,
                                  data.begin() + std::min(data.size(), i + per_line));
    lines.push_back(join(line, ", "));
  }
  return fmt::format("[{}]", join(lines, ",\n" + std::string(indent + 1, ' ')));
}

std::string tensor_str(const Tensor& t, int indent, bool summarize, const Formatter& formatter) {
  if (t.dim() == 0) return formatter.format(t);
  if (t.dim() == 1) return vector_str(t, indent, summarize, formatter);
  std::vector<std::string> slices;
  int64_t n = t.size(0);
  if (summarize && n > 2 * kEdgeItems) {
    for (int64_t i = 0; i < kEdgeItems; ++i)
      slices.push_back(tensor_str(row(t, i), indent + 1, summarize, formatter));
    slices.push_back("...");
    for (int64_t i = n - kEdgeItems; i < n; ++i)
      slices.push_back(tensor_str(row(t, i), indent + 1, summarize, formatter));
  } else {
    for (int64_t i = 0; i < n; ++i)
      slices.push_back(tensor_str(row(t, i), indent + 1, summarize, formatter));
  }
  std::string separator =
      fmt::format(",{}{}", std::string(t.dim() - 1, '\n'), std::string(indent + 1, ' '));
  return fmt::format("[{}]", join(slices, separator));
}

std::string size_tuple(const Dims& dims) {
  std::vector<std::string> sizes;
  for (int64_t s : dims) sizes.push_back(fmt::format("{}", s));
  return fmt::format("({}{})", join(sizes, ", "), sizes.size() == 1 ? "," : "");
}

// PyTorch's _tensor_str: the bracketed elements, "[]" when there are none.
std::string elements_text(const Tensor& tensor, int indent) {
  if (tensor.numel() == 0) return "[]";
  bool summarize = tensor.numel() > kThreshold;
  std::vector<Tensor> shown;
  collect(tensor, summarize, shown);
  Formatter formatter(shown, tensor.dtype());
  return tensor_str(tensor, indent, summarize, formatter);
}

// PyTorch's _add_suffixes: ", suffix" while the line fits, else a new line at `indent`.
std::string add_suffixes(std::string out, const std::vector<std::string>& suffixes, int indent,
                         bool force_newline) {
  std::size_t newline = out.rfind('\n');
  int last_line = static_cast<int>(out.size()) -
                  (newline == std::string::npos ? -1 : static_cast<int>(newline)) + 1;
  for (const std::string& suffix : suffixes) {
    if (force_newline || last_line + static_cast<int>(suffix.size()) + 2 > kLinewidth) {
      out += fmt::format(",\n{}{}", std::string(indent, ' '), suffix);
      last_line = indent + static_cast<int>(suffix.size());
      force_newline = false;
    } else {
      out += fmt::format(", {}", suffix);
      last_line += static_cast<int>(suffix.size()) + 2;
    }
  }
  return out + ")";
}

}  // namespace

std::string tensor_repr(const Tensor& tensor) {
  const std::string prefix = "tensor(";
  const int indent = static_cast<int>(prefix.size());
  std::vector<std::string> suffixes;
  if (tensor.numel() == 0) {
    if (tensor.dim() != 1) suffixes.push_back(fmt::format("size={}", size_tuple(tensor.sizes())));
    if (tensor.dtype() != kDefaultFloat)
      suffixes.push_back(fmt::format("dtype=torch.{}", dtype_name(tensor.dtype())));
  } else if (tensor.dtype() == DType::Float64) {
    // float32, int64 and bool are the dtypes PyTorch leaves unstated.
    suffixes.push_back("dtype=torch.float64");
  }
  return add_suffixes(prefix + elements_text(tensor, indent), suffixes, indent,
                      /*force_newline=*/false);
}

std::string sparse_tensor_repr(const Tensor& indices, const Tensor& values, const Dims& sizes) {
  const std::string prefix = "tensor(";
  const int indent = static_cast<int>(prefix.size());
  std::vector<std::string> suffixes = {fmt::format("size={}", size_tuple(sizes)),
                                       fmt::format("nnz={}", values.numel())};
  if (values.dtype() == DType::Float64) suffixes.push_back("dtype=torch.float64");
  suffixes.push_back("layout=torch.sparse_coo");
  const std::string indices_prefix = "indices=tensor(", values_prefix = "values=tensor(";
  std::string indices_text =
      elements_text(indices, indent + static_cast<int>(indices_prefix.size()));
  if (indices.numel() == 0) indices_text += ", size=" + size_tuple(indices.sizes());
  std::string values_text = elements_text(values, indent + static_cast<int>(values_prefix.size()));
  if (values.numel() == 0) values_text += ", size=" + size_tuple(values.sizes());
  std::string body = prefix + indices_prefix + indices_text + "),\n" + std::string(indent, ' ') +
                     values_prefix + values_text + ")";
  return add_suffixes(std::move(body), suffixes, indent, /*force_newline=*/true);
}

}  // namespace gyro
