// N-API binding to the TensorFlow Lite C API: load a model into a pool of interpreters, run one of
// them off the JavaScript thread, free the model. Mirrors TF Serving's TfLiteSession and
// TfLiteInterpreterPool (tflite_session.cc, tflite_interpreter_pool.cc), including their messages.
// Which interpreter runs a request is chosen in JavaScript, which guarantees each one is used by a
// single run at a time.
#define NAPI_VERSION 8
#include <node_api.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "parse_example_op.h"
#include "tflite_c_api.h"

namespace tflite_addon {
namespace {

// gRPC canonical codes, carried on rejected errors as `code`.
constexpr int kInvalidArgument = 3;
constexpr int kInternal = 13;

struct Model {
  std::string bytes;  // must outlive `model` (TfLiteModelCreate does not copy)
  TfLiteModel* model = nullptr;
  std::vector<TfLiteInterpreter*> interpreters;
  ~Model() {
    for (auto* i : interpreters) TfLiteInterpreterDelete(i);
    if (model) TfLiteModelDelete(model);
  }
};

// What JavaScript holds: the model, freed by deleteModel (or by the garbage collector at the latest),
// but never while a run is using one of its interpreters.
struct ModelHolder {
  std::unique_ptr<Model> model;
  int running = 0;
  bool delete_pending = false;
  void Release() {
    if (--running == 0 && delete_pending) model.reset();
  }
};

// Marks model handles, so that no other external (a TensorFlow session's) is ever taken for one.
const napi_type_tag kModelTag = {0x3c9e71d4a0586b2fULL, 0x8d14f6b2e7c9053aULL};

// The holder behind a model handle, or null for any other value.
ModelHolder* HolderOf(napi_env env, napi_value v) {
  bool tagged = false;
  void* data = nullptr;
  if (napi_check_object_type_tag(env, v, &kModelTag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, v, &data) != napi_ok) {
    return nullptr;
  }
  return static_cast<ModelHolder*>(data);
}

struct TensorDesc {
  std::string name;
  int type;
  std::vector<int> dims;
};

struct TensorData {
  int type = 0;
  std::vector<int> dims;
  std::string data;
};

#define NAPI_CALL(env, call)                                           \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error((env), nullptr, "N-API call failed: " #call);   \
      return nullptr;                                                  \
    }                                                                  \
  } while (0)

TensorDesc Describe(const TfLiteTensor* t) {
  TensorDesc d;
  const char* name = TfLiteTensorName(t);
  d.name = name ? name : "";
  d.type = TfLiteTensorType(t);
  for (int i = 0; i < TfLiteTensorNumDims(t); ++i) d.dims.push_back(TfLiteTensorDim(t, i));
  return d;
}

// One piece of work on libuv's thread pool that settles a promise.
class Job {
 public:
  virtual ~Job() = default;
  virtual void Execute() = 0;
  virtual napi_value Result(napi_env env) = 0;

  napi_value Start(napi_env env, const char* name) {
    napi_value promise, resource_name;
    if (napi_create_promise(env, &deferred_, &promise) != napi_ok) return nullptr;
    napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
    napi_create_async_work(env, nullptr, resource_name, &Job::OnExecute, &Job::OnComplete, this, &work_);
    napi_queue_async_work(env, work_);
    return promise;
  }

 protected:
  void Fail(int code, std::string message) {
    code_ = code;
    error_ = std::move(message);
  }

 private:
  static void OnExecute(napi_env, void* self) { static_cast<Job*>(self)->Execute(); }
  static void OnComplete(napi_env env, napi_status, void* self) {
    std::unique_ptr<Job> job(static_cast<Job*>(self));
    napi_delete_async_work(env, job->work_);
    if (job->error_.empty()) {
      napi_value result = job->Result(env);
      if (result != nullptr) {
        napi_resolve_deferred(env, job->deferred_, result);
        return;
      }
      job->Fail(kInternal, "could not build the result");
    }
    napi_value message, error, code;
    napi_create_string_utf8(env, job->error_.c_str(), job->error_.size(), &message);
    napi_create_error(env, nullptr, message, &error);
    napi_create_int32(env, job->code_, &code);
    napi_set_named_property(env, error, "code", code);
    napi_reject_deferred(env, job->deferred_, error);
  }

  napi_deferred deferred_ = nullptr;
  napi_async_work work_ = nullptr;
  int code_ = 0;
  std::string error_;
};

napi_value DimsArray(napi_env env, const std::vector<int>& dims) {
  napi_value arr;
  napi_create_array_with_length(env, dims.size(), &arr);
  for (size_t i = 0; i < dims.size(); ++i) {
    napi_value v;
    napi_create_int32(env, dims[i], &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
}

napi_value DescArray(napi_env env, const std::vector<TensorDesc>& descs) {
  napi_value arr;
  napi_create_array_with_length(env, descs.size(), &arr);
  for (size_t i = 0; i < descs.size(); ++i) {
    napi_value obj, name, type;
    napi_create_object(env, &obj);
    napi_create_string_utf8(env, descs[i].name.c_str(), descs[i].name.size(), &name);
    napi_create_int32(env, descs[i].type, &type);
    napi_set_named_property(env, obj, "name", name);
    napi_set_named_property(env, obj, "type", type);
    napi_set_named_property(env, obj, "dims", DimsArray(env, descs[i].dims));
    napi_set_element(env, arr, i, obj);
  }
  return arr;
}

void FinalizeHolder(napi_env, void* data, void*) { delete static_cast<ModelHolder*>(data); }

class LoadJob : public Job {
 public:
  LoadJob(std::string bytes, int num_interpreters) : num_interpreters_(num_interpreters) {
    model_ = std::make_unique<Model>();
    model_->bytes = std::move(bytes);
  }

  void Execute() override {
    model_->model = TfLiteModelCreate(model_->bytes.data(), model_->bytes.size());
    if (model_->model == nullptr) return Fail(kInvalidArgument, "Cannot build FlatBufferModel from buffer.");
    TfLiteInterpreterOptions* options = TfLiteInterpreterOptionsCreate();
    // One thread per interpreter, as TF Serving, to reduce contention across sessions.
    TfLiteInterpreterOptionsSetNumThreads(options, 1);
    TfLiteInterpreterOptionsAddOperator(options, ParseExampleV2Operator());
    for (int i = 0; i < num_interpreters_; ++i) {
      TfLiteInterpreter* it = TfLiteInterpreterCreate(model_->model, options);
      if (it == nullptr) {
        TfLiteInterpreterOptionsDelete(options);
        return Fail(kInternal, i == 0 ? "Cannot build Interpreter from buffer."
                                      : "Failed to create a TFLite interpreter with the given model");
      }
      model_->interpreters.push_back(it);
      if (i == 0) Describe(it);
      if (!Prepare(it)) {
        TfLiteInterpreterOptionsDelete(options);
        return;
      }
    }
    TfLiteInterpreterOptionsDelete(options);
  }

  napi_value Result(napi_env env) override {
    napi_value obj, external;
    napi_create_object(env, &obj);
    auto* holder = new ModelHolder{std::move(model_)};
    if (napi_create_external(env, holder, FinalizeHolder, nullptr, &external) != napi_ok) {
      delete holder;
      return nullptr;
    }
    if (napi_type_tag_object(env, external, &kModelTag) != napi_ok) return nullptr;  // freed by its finalizer
    napi_set_named_property(env, obj, "handle", external);
    napi_set_named_property(env, obj, "inputs", DescArray(env, inputs_));
    napi_set_named_property(env, obj, "outputs", DescArray(env, outputs_));
    return obj;
  }

 private:
  // The model's own tensor shapes, read before any resize.
  void Describe(TfLiteInterpreter* it) {
    for (int i = 0; i < TfLiteInterpreterGetInputTensorCount(it); ++i) {
      inputs_.push_back(tflite_addon::Describe(TfLiteInterpreterGetInputTensor(it, i)));
    }
    for (int i = 0; i < TfLiteInterpreterGetOutputTensorCount(it); ++i) {
      outputs_.push_back(tflite_addon::Describe(TfLiteInterpreterGetOutputTensor(it, i)));
    }
  }

  // As TfLiteInterpreterWrapper: a string first input starts with a batch of 1; then allocate.
  bool Prepare(TfLiteInterpreter* it) {
    if (TfLiteInterpreterGetInputTensorCount(it) > 0 &&
        TfLiteTensorType(TfLiteInterpreterGetInputTensor(it, 0)) == kTfLiteString) {
      const int one = 1;
      if (TfLiteInterpreterResizeInputTensor(it, 0, &one, 1) != kTfLiteOk) {
        Fail(kInternal, "Failed to resize input");
        return false;
      }
    }
    if (TfLiteInterpreterAllocateTensors(it) != kTfLiteOk) {
      Fail(kInternal, "Failed to allocate tensors");
      return false;
    }
    return true;
  }

  int num_interpreters_;
  std::unique_ptr<Model> model_;
  std::vector<TensorDesc> inputs_, outputs_;
};

class RunJob : public Job {
 public:
  RunJob(napi_env env, napi_value model_ref, ModelHolder* holder, TfLiteInterpreter* it,
         std::vector<int> input_positions, std::vector<TensorData> inputs, std::vector<int> output_positions)
      : env_(env),
        holder_(holder),
        interpreter_(it),
        input_positions_(std::move(input_positions)),
        inputs_(std::move(inputs)),
        output_positions_(std::move(output_positions)) {
    // Keeps the model alive while its interpreter runs, even if JavaScript drops it.
    napi_create_reference(env, model_ref, 1, &model_ref_);
    ++holder_->running;
  }
  ~RunJob() override {
    holder_->Release();
    napi_delete_reference(env_, model_ref_);
  }

  void Execute() override {
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (!Feed(input_positions_[i], inputs_[i])) return;
    }
    if (TfLiteInterpreterInvoke(interpreter_) != kTfLiteOk) return Fail(kInternal, "Failed to invoke TfLite interpreter");
    for (int pos : output_positions_) {
      const TfLiteTensor* t = TfLiteInterpreterGetOutputTensor(interpreter_, pos);
      TensorData out;
      out.type = TfLiteTensorType(t);
      for (int d = 0; d < TfLiteTensorNumDims(t); ++d) out.dims.push_back(TfLiteTensorDim(t, d));
      const void* data = TfLiteTensorData(t);
      if (data != nullptr) out.data.assign(static_cast<const char*>(data), TfLiteTensorByteSize(t));
      outputs_.push_back(std::move(out));
    }
  }

  napi_value Result(napi_env env) override {
    napi_value arr;
    napi_create_array_with_length(env, outputs_.size(), &arr);
    for (size_t i = 0; i < outputs_.size(); ++i) {
      napi_value obj, type, data;
      void* copy;
      napi_create_object(env, &obj);
      napi_create_int32(env, outputs_[i].type, &type);
      if (napi_create_buffer_copy(env, outputs_[i].data.size(), outputs_[i].data.data(), &copy, &data) != napi_ok) {
        return nullptr;
      }
      napi_set_named_property(env, obj, "type", type);
      napi_set_named_property(env, obj, "dims", DimsArray(env, outputs_[i].dims));
      napi_set_named_property(env, obj, "data", data);
      napi_set_element(env, arr, i, obj);
    }
    return arr;
  }

 private:
  // As SetInputAndInvokeMiniBatch: resize (and re-plan) only when the shape or size changed.
  bool Feed(int pos, const TensorData& in) {
    TfLiteTensor* t = TfLiteInterpreterGetInputTensor(interpreter_, pos);
    std::vector<int> dims(TfLiteTensorNumDims(t));
    for (size_t d = 0; d < dims.size(); ++d) dims[d] = TfLiteTensorDim(t, static_cast<int32_t>(d));
    const bool is_string = TfLiteTensorType(t) == kTfLiteString;
    if (dims != in.dims || (!is_string && TfLiteTensorByteSize(t) != in.data.size())) {
      if (TfLiteInterpreterResizeInputTensor(interpreter_, pos, in.dims.data(), static_cast<int32_t>(in.dims.size())) !=
          kTfLiteOk) {
        const char* name = TfLiteTensorName(t);
        Fail(kInternal, std::string("Failed to resize input tensor: ") + (name ? name : "") + " from " +
                            std::to_string(TfLiteTensorByteSize(t)) + " to " + std::to_string(in.data.size()) +
                            " bytes.");
        return false;
      }
      if (TfLiteInterpreterAllocateTensors(interpreter_) != kTfLiteOk) {
        Fail(kInternal, "Failed to allocate tensors");
        return false;
      }
      t = TfLiteInterpreterGetInputTensor(interpreter_, pos);
    }
    // String tensors are dynamic: size their buffer to the packed strings first.
    if (is_string) TfLiteTensorRealloc(in.data.size(), t);
    if (TfLiteTensorByteSize(t) != in.data.size()) {
      Fail(kInternal, "Input tensor size does not match the request's data");
      return false;
    }
    if (!in.data.empty()) std::memcpy(TfLiteTensorData(t), in.data.data(), in.data.size());
    return true;
  }

  napi_env env_;
  napi_ref model_ref_ = nullptr;
  ModelHolder* holder_;
  TfLiteInterpreter* interpreter_;
  std::vector<int> input_positions_;
  std::vector<TensorData> inputs_;
  std::vector<int> output_positions_;
  std::vector<TensorData> outputs_;
};

bool ReadBytes(napi_env env, napi_value v, std::string* out) {
  bool is_typed;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  size_t length, offset;
  void* data;
  napi_value buffer;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  out->assign(static_cast<const char*>(data), length);
  return true;
}

bool ReadInts(napi_env env, napi_value arr, std::vector<int>* out) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return false;
  for (uint32_t i = 0; i < n; ++i) {
    napi_value v;
    int32_t x;
    if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_int32(env, v, &x) != napi_ok) return false;
    out->push_back(x);
  }
  return true;
}

napi_value Property(napi_env env, napi_value obj, const char* name) {
  napi_value v = nullptr;
  napi_get_named_property(env, obj, name, &v);
  return v;
}

// loadModel(bytes: Uint8Array, numInterpreters: number): Promise<{handle, inputs, outputs}>
napi_value LoadModel(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  std::string bytes;
  int32_t n = 0;
  if (argc < 2 || !ReadBytes(env, argv[0], &bytes) || napi_get_value_int32(env, argv[1], &n) != napi_ok || n < 1) {
    napi_throw_type_error(env, nullptr, "loadModel(bytes: Uint8Array, numInterpreters: number >= 1)");
    return nullptr;
  }
  return (new LoadJob(std::move(bytes), n))->Start(env, "tflite.loadModel");
}

// run(handle, interpreter, inputPositions, inputs: {dims, data}[], outputPositions): Promise<{type, dims, data}[]>
// String inputs come as TFLite's packed layout; string outputs are returned in it.
napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  ModelHolder* holder = nullptr;
  int32_t which = -1;
  std::vector<int> input_positions, output_positions;
  uint32_t num_inputs = 0;
  if (argc < 5 || (holder = HolderOf(env, argv[0])) == nullptr || holder->model == nullptr || holder->delete_pending || napi_get_value_int32(env, argv[1], &which) != napi_ok ||
      which < 0 || which >= static_cast<int32_t>(holder->model->interpreters.size()) || !ReadInts(env, argv[2], &input_positions) ||
      napi_get_array_length(env, argv[3], &num_inputs) != napi_ok || num_inputs != input_positions.size() ||
      !ReadInts(env, argv[4], &output_positions)) {
    napi_throw_type_error(env, nullptr, "run(handle, interpreter, inputPositions, inputs, outputPositions)");
    return nullptr;
  }
  TfLiteInterpreter* it = holder->model->interpreters[which];
  const int in_count = TfLiteInterpreterGetInputTensorCount(it);
  const int out_count = TfLiteInterpreterGetOutputTensorCount(it);
  std::vector<TensorData> inputs(num_inputs);
  for (uint32_t i = 0; i < num_inputs; ++i) {
    napi_value t;
    napi_get_element(env, argv[3], i, &t);
    if (input_positions[i] < 0 || input_positions[i] >= in_count || !ReadInts(env, Property(env, t, "dims"), &inputs[i].dims) ||
        !ReadBytes(env, Property(env, t, "data"), &inputs[i].data)) {
      napi_throw_type_error(env, nullptr, "run: each input needs a valid position, dims and data (Uint8Array)");
      return nullptr;
    }
  }
  for (int pos : output_positions) {
    if (pos < 0 || pos >= out_count) {
      napi_throw_range_error(env, nullptr, "run: output position out of range");
      return nullptr;
    }
  }
  return (new RunJob(env, argv[0], holder, it, std::move(input_positions), std::move(inputs), std::move(output_positions)))
      ->Start(env, "tflite.run");
}

// deleteModel(handle): frees the model and its interpreters now, or when its last run ends.
napi_value DeleteModel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  ModelHolder* holder = nullptr;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc < 1 || (holder = HolderOf(env, argv[0])) == nullptr) {
    napi_throw_type_error(env, nullptr, "deleteModel(handle)");
    return nullptr;
  }
  if (holder->running == 0) {
    holder->model.reset();
  } else {
    holder->delete_pending = true;
  }
  return nullptr;
}

napi_value Version(napi_env env, napi_callback_info) {
  napi_value v;
  NAPI_CALL(env, napi_create_string_utf8(env, TfLiteVersion(), NAPI_AUTO_LENGTH, &v));
  return v;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"loadModel", nullptr, LoadModel, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"deleteModel", nullptr, DeleteModel, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

}  // namespace
}  // namespace tflite_addon

NAPI_MODULE(NODE_GYP_MODULE_NAME, tflite_addon::Init)
