// TFLite's layout for string tensors (tensorflow/lite/string_util.h): an int32 count N, N+1 int32
// byte offsets from the start of the buffer, then the bytes of every string back to back.
#ifndef TFSERVING_TS_STRING_TENSOR_H_
#define TFSERVING_TS_STRING_TENSOR_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace tflite_addon {

inline std::string PackStrings(const std::vector<std::string_view>& strings) {
  const int32_t count = static_cast<int32_t>(strings.size());
  size_t header = sizeof(int32_t) * (count + 2);
  size_t total = header;
  for (const auto& s : strings) total += s.size();
  std::string out(total, '\0');
  char* p = out.data();
  std::memcpy(p, &count, sizeof(int32_t));
  int32_t offset = static_cast<int32_t>(header);
  for (int32_t i = 0; i <= count; ++i) {
    std::memcpy(p + sizeof(int32_t) * (i + 1), &offset, sizeof(int32_t));
    if (i < count) {
      std::memcpy(p + offset, strings[i].data(), strings[i].size());
      offset += static_cast<int32_t>(strings[i].size());
    }
  }
  return out;
}

// The strings of a packed buffer, as views into it; empty when the buffer is malformed.
inline std::vector<std::string_view> UnpackStrings(const char* data, size_t bytes) {
  std::vector<std::string_view> out;
  if (data == nullptr || bytes < sizeof(int32_t)) return out;
  int32_t count;
  std::memcpy(&count, data, sizeof(int32_t));
  if (count < 0 || sizeof(int32_t) * (static_cast<size_t>(count) + 2) > bytes) return out;
  out.reserve(count);
  for (int32_t i = 0; i < count; ++i) {
    int32_t begin, end;
    std::memcpy(&begin, data + sizeof(int32_t) * (i + 1), sizeof(int32_t));
    std::memcpy(&end, data + sizeof(int32_t) * (i + 2), sizeof(int32_t));
    if (begin < 0 || end < begin || static_cast<size_t>(end) > bytes) return {};
    out.emplace_back(data + begin, end - begin);
  }
  return out;
}

}  // namespace tflite_addon

#endif  // TFSERVING_TS_STRING_TENSOR_H_
