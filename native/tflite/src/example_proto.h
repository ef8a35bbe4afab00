// Reads a serialized tensorflow.Example (example.proto, feature.proto) straight from protobuf wire
// format: the features map, and for each feature the list it holds. Views point into the input.
#ifndef TFSERVING_TS_EXAMPLE_PROTO_H_
#define TFSERVING_TS_EXAMPLE_PROTO_H_

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace tflite_addon {

enum class FeatureKind { kNone, kBytes, kFloat, kInt64 };

struct Feature {
  FeatureKind kind = FeatureKind::kNone;
  // The list message's bytes (BytesList, FloatList or Int64List), decoded on demand.
  std::string_view list;
};

// (name, feature) in the order they appear on the wire; later entries override earlier ones.
using FeatureEntries = std::vector<std::pair<std::string_view, Feature>>;

bool ParseExample(std::string_view serialized, FeatureEntries* out);

// Values of a list; false when the bytes are not a valid list of that kind.
bool ReadFloats(std::string_view list, std::vector<float>* out);
bool ReadInt64s(std::string_view list, std::vector<int64_t>* out);
bool ReadBytes(std::string_view list, std::vector<std::string_view>* out);

}  // namespace tflite_addon

#endif  // TFSERVING_TS_EXAMPLE_PROTO_H_
