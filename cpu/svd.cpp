// reel/cpu/svd.cpp — CPU kernel of linalg_svd: A = U diag(S) Vh for each matrix of a batch, by one-sided
// (Hestenes) Jacobi in double precision.
//
// For an m x n matrix with m >= n the columns w_p of W = A are rotated in pairs until every pair is orthogonal:
//   a = |w_p|^2, b = |w_q|^2, c = w_p . w_q; zeta = (b - a) / (2 c), t = sign(zeta) / (|zeta| + sqrt(1 + zeta^2)),
//   cos = 1 / sqrt(1 + t^2), sin = cos t;  (w_p, w_q) <- (cos w_p - sin w_q, sin w_p + cos w_q), the same on V's
//   columns (V starts as I). Then S_j = |w_j|, U_j = w_j / S_j, and A = U diag(S) V^T.
// Sweeps over all pairs stop when no pair has |c| > 1e-15 sqrt(a b) (at most 80 sweeps). With m < n the kernel
// decomposes A^T and swaps the roles of U and V. The values are sorted descending; columns of U for zero singular
// values, and U's extra columns when full_matrices asks for a square U (likewise V's), are completed to an
// orthonormal basis by Gram-Schmidt over the unit vectors. All arithmetic is in double; the results are rounded
// to the input's dtype (float32 or float64). Matrices are independent and run in parallel.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/op_attrs.h"
#include "tensor/parallel.h"

namespace reel::cpu {

namespace {

// Column-major r x c matrix of doubles: element (i, j) at data[j * r + i].
struct Columns {
  int64_t rows = 0, cols = 0;
  std::vector<double> data;
  Columns(int64_t r, int64_t c) : rows(r), cols(c), data(static_cast<size_t>(r * c), 0.0) {}
  double* col(int64_t j) { return data.data() + j * rows; }
  const double* col(int64_t j) const { return data.data() + j * rows; }
};

double dot(const double* a, const double* b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Makes columns [from, q.cols) orthonormal and orthogonal to the columns before them: a column whose norm is
// already 1 (a computed singular vector) is kept; others are replaced by the first unit vector e_i that keeps
// enough length after Gram-Schmidt (done twice) against every earlier column.
void complete_basis(Columns& q, int64_t from) {
  const int64_t n = q.rows;
  int64_t next_unit = 0;
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t j = from; j < q.cols; ++j) {
    while (true) {
      std::fill(v.begin(), v.end(), 0.0);
      v[static_cast<size_t>(next_unit % n)] = 1.0;
      ++next_unit;
      for (int pass = 0; pass < 2; ++pass)
        for (int64_t k = 0; k < j; ++k) {
          const double proj = dot(v.data(), q.col(k), n);
          for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] -= proj * q.col(k)[i];
        }
      const double norm = std::sqrt(dot(v.data(), v.data(), n));
      if (norm > 1e-3 || next_unit > 2 * n) {
        for (int64_t i = 0; i < n; ++i) q.col(j)[i] = v[static_cast<size_t>(i)] / norm;
        break;
      }
    }
  }
}

// SVD of the column-major m x n matrix w (m >= n): S (n), U (m x u_cols), V (n x n). w is overwritten.
void jacobi_tall(Columns& w, std::vector<double>& s, Columns& u, Columns& v) {
  const int64_t m = w.rows, n = w.cols;
  for (int64_t j = 0; j < n; ++j) v.col(j)[j] = 1.0;
  for (int sweep = 0; sweep < 80; ++sweep) {
    bool rotated = false;
    for (int64_t p = 0; p + 1 < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        double* wp = w.col(p);
        double* wq = w.col(q);
        const double a = dot(wp, wp, m), b = dot(wq, wq, m), c = dot(wp, wq, m);
        if (c == 0 || std::fabs(c) <= 1e-15 * std::sqrt(a * b)) continue;
        rotated = true;
        const double zeta = (b - a) / (2 * c);
        const double t = (zeta >= 0 ? 1.0 : -1.0) / (std::fabs(zeta) + std::sqrt(1 + zeta * zeta));
        const double cs = 1 / std::sqrt(1 + t * t), sn = cs * t;
        for (int64_t i = 0; i < m; ++i) {
          const double x = wp[i], y = wq[i];
          wp[i] = cs * x - sn * y, wq[i] = sn * x + cs * y;
        }
        double* vp = v.col(p);
        double* vq = v.col(q);
        for (int64_t i = 0; i < n; ++i) {
          const double x = vp[i], y = vq[i];
          vp[i] = cs * x - sn * y, vq[i] = sn * x + cs * y;
        }
      }
    if (!rotated) break;
  }
  // sort by descending norm
  std::vector<double> norms(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) norms[static_cast<size_t>(j)] = std::sqrt(dot(w.col(j), w.col(j), m));
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t l, int64_t r) { return norms[static_cast<size_t>(l)] > norms[static_cast<size_t>(r)]; });
  Columns v_sorted(n, n);
  s.assign(static_cast<size_t>(n), 0.0);
  const double largest = n > 0 ? norms[static_cast<size_t>(order[0])] : 0.0;
  int64_t good = 0;  // columns of U with a nonzero singular value
  for (int64_t j = 0; j < n; ++j) {
    const int64_t from = order[static_cast<size_t>(j)];
    const double sigma = norms[static_cast<size_t>(from)];
    s[static_cast<size_t>(j)] = sigma;
    std::copy(v.col(from), v.col(from) + n, v_sorted.col(j));
    // a singular value at rounding level of the largest gives no usable direction: completed like a zero one
    if (sigma > largest * 1e-14 * static_cast<double>(m) && j == good) {
      for (int64_t i = 0; i < m; ++i) u.col(j)[i] = w.col(from)[i] / sigma;
      ++good;
    }
  }
  v = std::move(v_sorted);
  complete_basis(u, good);
}

template <typename T>
void svd_matrices(const KernelArgs& args, int64_t batch, int64_t m, int64_t n) {
  const SvdAttrs& a = args.attrs->get<SvdAttrs>();
  const int64_t k = std::min(m, n);
  const T* in = args.inputs[0].data_ptr<T>();
  T* s_out = args.outputs[1].data_ptr<T>();
  T* u_out = a.compute_uv ? args.outputs[0].data_ptr<T>() : nullptr;
  T* vh_out = a.compute_uv ? args.outputs[2].data_ptr<T>() : nullptr;
  const int64_t u_cols = a.full_matrices ? m : k, vh_rows = a.full_matrices ? n : k;
  parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const T* x = in + b * m * n;
      const bool tall = m >= n;
      const int64_t r = tall ? m : n, c = tall ? n : m;  // the decomposed matrix: A or A^T, r >= c
      Columns w(r, c);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const double value = static_cast<double>(x[i * n + j]);
          if (tall) w.col(j)[i] = value; else w.col(i)[j] = value;
        }
      std::vector<double> s;
      Columns left(r, tall ? u_cols : vh_rows), right(c, c);
      jacobi_tall(w, s, left, right);
      for (int64_t j = 0; j < k; ++j) s_out[b * k + j] = static_cast<T>(s[static_cast<size_t>(j)]);
      if (!a.compute_uv) continue;
      // tall: U = left, V = right; wide: A^T = left S right^T, so U = right, V = left
      const Columns& u = tall ? left : right;
      const Columns& v = tall ? right : left;
      T* ub = u_out + b * m * u_cols;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < u_cols; ++j) ub[i * u_cols + j] = static_cast<T>(u.col(j)[i]);
      T* vb = vh_out + b * vh_rows * n;
      for (int64_t i = 0; i < vh_rows; ++i)
        for (int64_t j = 0; j < n; ++j) vb[i * n + j] = static_cast<T>(v.col(i)[j]);
    }
  });
}

// inputs: A (*, m, n) contiguous; outputs U (*, m, m or k), S (*, k), Vh (*, n or k, n) (U, Vh undefined without
// compute_uv).
void svd_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const int64_t m = x.size(-2), n = x.size(-1);
  const int64_t batch = m * n == 0 ? 0 : x.numel() / (m * n);
  if (x.dtype() == kFloat32) {
    svd_matrices<float>(args, batch, m, n);
  } else if (x.dtype() == kFloat64) {
    svd_matrices<double>(args, batch, m, n);
  } else {
    REEL_CHECK(false, "linalg_svd: expected a float32 or float64 input, got {}", dtype_name(x.dtype()));
  }
}

}  // namespace

void register_svd_kernels() { register_kernel(OpId::linalg_svd, kCPU, &svd_kernel); }

}  // namespace reel::cpu
