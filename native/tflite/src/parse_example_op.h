// The "ParseExampleV2" custom op that TF Serving registers for TFLite models
// (tflite::ops::custom::AddParseExampleOp), written against the stable C API because the TFLite
// runtime we link does not carry TF Serving's kernel (it needs TensorFlow core).
#ifndef TFSERVING_TS_PARSE_EXAMPLE_OP_H_
#define TFSERVING_TS_PARSE_EXAMPLE_OP_H_

#include "tflite_c_api.h"

namespace tflite_addon {

// A registration to add to every interpreter's options; lives as long as the process.
TfLiteOperator* ParseExampleV2Operator();

}  // namespace tflite_addon

#endif  // TFSERVING_TS_PARSE_EXAMPLE_OP_H_
