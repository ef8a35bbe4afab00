#include "example_proto.h"

#include <cstring>

namespace tflite_addon {
namespace {

// A bounds-checked cursor over protobuf wire format.
class Wire {
 public:
  explicit Wire(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  bool done() const { return p_ >= end_; }

  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(*p_++);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }

  bool Bytes(std::string_view* out) {
    uint64_t len;
    if (!Varint(&len) || len > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(p_, len);
    p_ += len;
    return true;
  }

  bool Fixed32(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    std::memcpy(v, p_, 4);
    p_ += 4;
    return true;
  }

  // Skips a field of the given wire type (groups are not used by these messages).
  bool Skip(uint32_t wire_type) {
    uint64_t v;
    std::string_view s;
    uint32_t f;
    switch (wire_type) {
      case 0: return Varint(&v);
      case 1:
        if (end_ - p_ < 8) return false;
        p_ += 8;
        return true;
      case 2: return Bytes(&s);
      case 5: return Fixed32(&f);
      default: return false;
    }
  }

 private:
  const char* p_;
  const char* end_;
};

bool ParseFeature(std::string_view bytes, Feature* out) {
  Wire w(bytes);
  while (!w.done()) {
    uint64_t tag;
    if (!w.Varint(&tag)) return false;
    const uint32_t field = static_cast<uint32_t>(tag >> 3), type = tag & 7;
    if (type == 2 && field >= 1 && field <= 3) {
      if (!w.Bytes(&out->list)) return false;
      out->kind = field == 1 ? FeatureKind::kBytes : field == 2 ? FeatureKind::kFloat : FeatureKind::kInt64;
    } else if (!w.Skip(type)) {
      return false;
    }
  }
  return true;
}

bool ParseFeatureEntry(std::string_view bytes, FeatureEntries* out) {
  Wire w(bytes);
  std::string_view key;
  Feature feature;
  while (!w.done()) {
    uint64_t tag;
    if (!w.Varint(&tag)) return false;
    const uint32_t field = static_cast<uint32_t>(tag >> 3), type = tag & 7;
    std::string_view value;
    if (field == 1 && type == 2) {
      if (!w.Bytes(&key)) return false;
    } else if (field == 2 && type == 2) {
      if (!w.Bytes(&value) || !ParseFeature(value, &feature)) return false;
    } else if (!w.Skip(type)) {
      return false;
    }
  }
  out->emplace_back(key, feature);
  return true;
}

bool ParseFeatures(std::string_view bytes, FeatureEntries* out) {
  Wire w(bytes);
  while (!w.done()) {
    uint64_t tag;
    if (!w.Varint(&tag)) return false;
    std::string_view entry;
    if ((tag >> 3) == 1 && (tag & 7) == 2) {
      if (!w.Bytes(&entry) || !ParseFeatureEntry(entry, out)) return false;
    } else if (!w.Skip(tag & 7)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ParseExample(std::string_view serialized, FeatureEntries* out) {
  Wire w(serialized);
  while (!w.done()) {
    uint64_t tag;
    if (!w.Varint(&tag)) return false;
    std::string_view features;
    if ((tag >> 3) == 1 && (tag & 7) == 2) {
      if (!w.Bytes(&features) || !ParseFeatures(features, out)) return false;
    } else if (!w.Skip(tag & 7)) {
      return false;
    }
  }
  return true;
}

bool ReadFloats(std::string_view list, std::vector<float>* out) {
  Wire w(list);
  while (!w.done()) {
    uint64_t tag;
    if (!w.Varint(&tag)) return false;
    if ((tag >> 3) != 1) {
      if (!w.Skip(tag & 7)) return false;
      continue;
    }
    uint32_t bits;
    float f;
    if ((tag & 7) == 5) {  // one unpacked value
      if (!w.Fixed32(&bits)) return false;
      std::memcpy(&f, &bits, 4);
      out->push_back(f);
    } else if ((tag & 7) == 2) {  // packed
      std::string_view packed;
      if (!w.Bytes(&packed) || packed.size() % 4 != 0) return false;
      for (size_t i = 0; i < packed.size(); i += 4) {
        std::memcpy(&f, packed.data() + i, 4);
        out->push_back(f);
      }
    } else {
      return false;
    }
  }
  return true;
}

bool ReadInt64s(std::string_view list, std::vector<int64_t>* out) {
  Wire w(list);
  while (!w.done()) {
    uint64_t tag, v;
    if (!w.Varint(&tag)) return false;
    if ((tag >> 3) != 1) {
      if (!w.Skip(tag & 7)) return false;
      continue;
    }
    if ((tag & 7) == 0) {
      if (!w.Varint(&v)) return false;
      out->push_back(static_cast<int64_t>(v));
    } else if ((tag & 7) == 2) {
      std::string_view packed;
      if (!w.Bytes(&packed)) return false;
      Wire values(packed);
      while (!values.done()) {
        if (!values.Varint(&v)) return false;
        out->push_back(static_cast<int64_t>(v));
      }
    } else {
      return false;
    }
  }
  return true;
}

bool ReadBytes(std::string_view list, std::vector<std::string_view>* out) {
  Wire w(list);
  while (!w.done()) {
    uint64_t tag;
    if (!w.Varint(&tag)) return false;
    std::string_view s;
    if ((tag >> 3) == 1 && (tag & 7) == 2) {
      if (!w.Bytes(&s)) return false;
      out->push_back(s);
    } else if (!w.Skip(tag & 7)) {
      return false;
    }
  }
  return true;
}

}  // namespace tflite_addon
