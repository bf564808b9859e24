// reel/reel.h — the one header users include: `#include <reel/reel.h>`.
#pragma once

#include "tensor/dtype.h"
#include "tensor/device.h"
#include "tensor/error.h"
#include "tensor/memory.h"
#include "tensor/ops.h"
#include "tensor/parallel.h"
#include "tensor/print.h"
#include "tensor/tensor.h"
#include "tensor/grad_mode.h"
#include "autograd/autograd.h"
#include "autograd/function.h"
#include "autograd/gradcheck.h"
