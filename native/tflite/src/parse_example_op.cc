// ParseExampleV2 for fixed-length dense features (float, int64, bytes), as TF Serving's TFLite
// kernel computes them. Inputs: serialized [B], names, sparse_keys, dense_keys, ragged_keys,
// dense_defaults...; outputs: one dense tensor per dense key, [B * d0, d1, ...] where [d0, d1, ...]
// is the output's shape in the model. Sparse and ragged features are refused at prepare time.
#include "parse_example_op.h"

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "example_proto.h"
#include "string_tensor.h"

namespace tflite_addon {
namespace {

constexpr int kSerialized = 0, kSparseKeys = 2, kDenseKeys = 3, kRaggedKeys = 4, kFirstDefault = 5;

struct OpData {
  // Each dense output's shape as found in the model at the first prepare (later ones are resized).
  std::vector<std::vector<int>> dense_shapes;
};

int64_t NumElements(const TfLiteOpaqueTensor* t) {
  int64_t n = 1;
  for (int i = 0; i < TfLiteOpaqueTensorNumDims(t); ++i) n *= TfLiteOpaqueTensorDim(t, i);
  return n;
}

const char* TypeName(TfLiteType t) {
  switch (t) {
    case kTfLiteFloat32: return "float";
    case kTfLiteInt64: return "int64";
    case kTfLiteString: return "string";
    default: return "unsupported";
  }
}

TfLiteType KindType(FeatureKind k) {
  switch (k) {
    case FeatureKind::kFloat: return kTfLiteFloat32;
    case FeatureKind::kInt64: return kTfLiteInt64;
    case FeatureKind::kBytes: return kTfLiteString;
    default: return kTfLiteNoType;
  }
}

std::string ShapeString(const std::vector<int>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

void* Init(TfLiteOpaqueContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteOpaqueContext*, void* data) { delete static_cast<OpData*>(data); }

TfLiteStatus Prepare(TfLiteOpaqueContext* context, TfLiteOpaqueNode* node) {
  auto* data = static_cast<OpData*>(TfLiteOpaqueNodeGetUserData(node));
  const int num_inputs = TfLiteOpaqueNodeNumberOfInputs(node);
  if (num_inputs < kFirstDefault) {
    TfLiteOpaqueContextReportError(context, "ParseExampleV2 needs at least 5 inputs, has %d", num_inputs);
    return kTfLiteError;
  }
  if (NumElements(TfLiteOpaqueNodeGetInput(context, node, kSparseKeys)) != 0 ||
      NumElements(TfLiteOpaqueNodeGetInput(context, node, kRaggedKeys)) != 0) {
    TfLiteOpaqueContextReportError(context, "ParseExampleV2: sparse and ragged features are not supported");
    return kTfLiteError;
  }
  const int num_dense = num_inputs - kFirstDefault;
  if (NumElements(TfLiteOpaqueNodeGetInput(context, node, kDenseKeys)) != num_dense ||
      TfLiteOpaqueNodeNumberOfOutputs(node) != num_dense) {
    TfLiteOpaqueContextReportError(context, "ParseExampleV2: dense keys, defaults and outputs do not match");
    return kTfLiteError;
  }
  const TfLiteOpaqueTensor* serialized = TfLiteOpaqueNodeGetInput(context, node, kSerialized);
  if (TfLiteOpaqueTensorNumDims(serialized) > 1) {
    TfLiteOpaqueContextReportError(context, "ParseExampleV2: serialized examples must be a vector");
    return kTfLiteError;
  }
  const int batch = TfLiteOpaqueTensorNumDims(serialized) > 0 ? TfLiteOpaqueTensorDim(serialized, 0) : 1;
  const bool first = data->dense_shapes.empty();
  for (int d = 0; d < num_dense; ++d) {
    TfLiteOpaqueTensor* out = TfLiteOpaqueNodeGetOutput(context, node, d);
    const int rank = TfLiteOpaqueTensorNumDims(out);
    if (first) {
      std::vector<int> dims(rank);
      for (int i = 0; i < rank; ++i) dims[i] = TfLiteOpaqueTensorDim(out, i);
      data->dense_shapes.push_back(dims);
    }
    const std::vector<int>& shape = data->dense_shapes[d];
    if (shape.empty()) {
      TfLiteOpaqueContextReportError(context, "ParseExampleV2: scalar dense outputs are not supported");
      return kTfLiteError;
    }
    TfLiteIntArray* size = TfLiteIntArrayCreate(static_cast<int>(shape.size()));
    for (size_t i = 0; i < shape.size(); ++i) size->data[i] = shape[i];
    size->data[0] = batch * shape[0];
    if (TfLiteOpaqueContextResizeTensor(context, out, size) != kTfLiteOk) return kTfLiteError;
  }
  return kTfLiteOk;
}

std::vector<std::string_view> StringsOf(const TfLiteOpaqueTensor* t) {
  std::vector<std::string_view> out;
  const int n = TfLiteOpaqueTensorGetStringCount(t);
  for (int i = 0; i < n; ++i) {
    const char* s;
    int len;
    TfLiteOpaqueTensorGetString(t, i, &s, &len);
    out.emplace_back(s, len);
  }
  return out;
}

// The last entry for `key` of the wanted kind, as protobuf map semantics make it win.
const Feature* FindFeature(const FeatureEntries& entries, std::string_view key) {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->first == key && it->second.kind != FeatureKind::kNone) return &it->second;
  }
  return nullptr;
}

struct DenseOutput {
  std::string_view key;
  TfLiteType type;
  int64_t stride;
  std::vector<int> shape;
  const TfLiteOpaqueTensor* defaults;
  TfLiteOpaqueTensor* out;
  std::vector<std::string_view> strings;  // string outputs, filled per example
};

// Writes example `e`'s values for one dense feature; returns an error message or "".
std::string FillExample(const FeatureEntries& entries, int64_t e, DenseOutput& d) {
  const std::string prefix = "Name: <unknown>, Key: " + std::string(d.key) + ", Index: " + std::to_string(e) + ".  ";
  const Feature* f = FindFeature(entries, d.key);
  if (f == nullptr) {
    if (NumElements(d.defaults) == 0) {
      return "Name: <unknown>, Feature: " + std::string(d.key) + " (data type: " + TypeName(d.type) +
             ") is required but could not be found.";
    }
    if (d.type == kTfLiteString) {
      const auto defaults = StringsOf(d.defaults);
      for (int64_t i = 0; i < d.stride; ++i) d.strings[e * d.stride + i] = defaults[i % defaults.size()];
    } else {
      const size_t width = d.type == kTfLiteFloat32 ? 4 : 8;
      std::memcpy(static_cast<char*>(TfLiteOpaqueTensorData(d.out)) + e * d.stride * width,
                  TfLiteOpaqueTensorData(d.defaults), d.stride * width);
    }
    return "";
  }
  if (KindType(f->kind) != d.type) {
    return prefix + "Data types don't match. Data type: " + TypeName(KindType(f->kind)) +
           " but expected type: " + TypeName(d.type);
  }
  size_t got = 0;
  bool ok = true;
  if (d.type == kTfLiteFloat32) {
    std::vector<float> v;
    ok = ReadFloats(f->list, &v);
    got = v.size();
    if (ok && static_cast<int64_t>(got) == d.stride) {
      std::memcpy(static_cast<float*>(TfLiteOpaqueTensorData(d.out)) + e * d.stride, v.data(), got * 4);
    }
  } else if (d.type == kTfLiteInt64) {
    std::vector<int64_t> v;
    ok = ReadInt64s(f->list, &v);
    got = v.size();
    if (ok && static_cast<int64_t>(got) == d.stride) {
      std::memcpy(static_cast<int64_t*>(TfLiteOpaqueTensorData(d.out)) + e * d.stride, v.data(), got * 8);
    }
  } else {
    std::vector<std::string_view> v;
    ok = ReadBytes(f->list, &v);
    got = v.size();
    if (ok && static_cast<int64_t>(got) == d.stride) {
      for (size_t i = 0; i < got; ++i) d.strings[e * d.stride + i] = v[i];
    }
  }
  if (!ok) return prefix + "Can't parse serialized Example.";
  if (static_cast<int64_t>(got) != d.stride) {
    const char* kind = d.type == kTfLiteString ? "bytes" : TypeName(d.type);
    return prefix + "Number of " + kind + " values != expected.  Values size:" + std::to_string(got) +
           " but output shape: " + ShapeString(std::vector<int>(d.shape.begin() + 1, d.shape.end()));
  }
  return "";
}

TfLiteStatus Invoke(TfLiteOpaqueContext* context, TfLiteOpaqueNode* node) {
  auto* data = static_cast<OpData*>(TfLiteOpaqueNodeGetUserData(node));
  const auto serialized = StringsOf(TfLiteOpaqueNodeGetInput(context, node, kSerialized));
  const auto keys = StringsOf(TfLiteOpaqueNodeGetInput(context, node, kDenseKeys));
  std::vector<DenseOutput> dense(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    DenseOutput& d = dense[i];
    d.key = keys[i];
    d.out = TfLiteOpaqueNodeGetOutput(context, node, static_cast<int>(i));
    d.type = TfLiteOpaqueTensorType(d.out);
    d.shape = data->dense_shapes[i];
    d.stride = 1;
    for (int dim : d.shape) d.stride *= dim;
    d.defaults = TfLiteOpaqueNodeGetInput(context, node, kFirstDefault + static_cast<int>(i));
    if (d.type != kTfLiteFloat32 && d.type != kTfLiteInt64 && d.type != kTfLiteString) {
      TfLiteOpaqueContextReportError(context, "Unrecognized dense type: %d", d.type);
      return kTfLiteError;
    }
    const int64_t rows = TfLiteOpaqueTensorDim(d.out, 0) / d.shape[0];
    const int64_t defaults = NumElements(d.defaults);
    // Outputs were sized for the examples at prepare time; defaults fill one example or none.
    if (rows != static_cast<int64_t>(serialized.size()) || (defaults != 0 && defaults != d.stride)) {
      TfLiteOpaqueContextReportError(context, "ParseExampleV2: %d examples do not fit outputs of %d rows",
                                     static_cast<int>(serialized.size()), static_cast<int>(rows));
      return kTfLiteError;
    }
    if (d.type == kTfLiteString) d.strings.assign(rows * d.stride, {});
  }
  FeatureEntries entries;
  for (size_t e = 0; e < serialized.size(); ++e) {
    entries.clear();
    if (!ParseExample(serialized[e], &entries)) {
      TfLiteOpaqueContextReportError(context, "Failed to parse example");
      return kTfLiteError;
    }
    for (DenseOutput& d : dense) {
      const std::string error = FillExample(entries, static_cast<int64_t>(e), d);
      if (!error.empty()) {
        TfLiteOpaqueContextReportError(context, "%s", error.c_str());
        return kTfLiteError;
      }
    }
  }
  for (DenseOutput& d : dense) {
    if (d.type != kTfLiteString) continue;
    // String outputs are dynamic tensors: size the buffer, then write TFLite's string layout.
    const std::string packed = PackStrings(d.strings);
    auto* tensor = reinterpret_cast<TfLiteTensor*>(d.out);
    TfLiteTensorRealloc(packed.size(), tensor);
    if (TfLiteTensorByteSize(tensor) != packed.size() || TfLiteTensorData(tensor) == nullptr) {
      TfLiteOpaqueContextReportError(context, "ParseExampleV2: cannot allocate a string output");
      return kTfLiteError;
    }
    std::memcpy(TfLiteTensorData(tensor), packed.data(), packed.size());
  }
  return kTfLiteOk;
}

}  // namespace

TfLiteOperator* ParseExampleV2Operator() {
  static TfLiteOperator* op = [] {
    TfLiteOperator* r = TfLiteOperatorCreate(kTfLiteBuiltinCustom, "ParseExampleV2", 1, nullptr);
    TfLiteOperatorSetInit(r, Init);
    TfLiteOperatorSetFree(r, Free);
    TfLiteOperatorSetPrepare(r, Prepare);
    TfLiteOperatorSetInvoke(r, Invoke);
    return r;
  }();
  return op;
}

}  // namespace tflite_addon
