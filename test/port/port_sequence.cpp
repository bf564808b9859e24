// reel/test/port/port_sequence.cpp — a sequence tagger written against LibTorch's C++ API: Embedding with
// EmbeddingOptions, an LSTM with LSTMOptions (batch_first), a GRUCell, Linear, cross_entropy with ignore_index,
// Adam with AdamOptions(...).betas(tuple), clip_grad_norm_, Sequential of activation modules. The port check
// (test/port/CMakeLists.txt) renames `torch::` -> `reel::`, builds it against reel and compares the printed lines
// with what LibTorch printed (port_sequence.expected, written by scripts/port_expected.sh). Deterministic:
// parameters and data come from formulas.
#include <torch/torch.h>

#include <cstdio>
#include <tuple>

struct TaggerImpl : torch::nn::Module {
  TaggerImpl()
      : embed(torch::nn::EmbeddingOptions(12, 6).padding_idx(0)),
        lstm(torch::nn::LSTMOptions(6, 5).num_layers(1).batch_first(true)),
        cell(torch::nn::GRUCellOptions(5, 5)),
        head(torch::nn::Linear(5, 4)),
        mlp(torch::nn::Linear(5, 5), torch::nn::Tanh(), torch::nn::Linear(5, 5), torch::nn::Sigmoid()) {
    register_module("embed", embed);
    register_module("lstm", lstm);
    register_module("cell", cell);
    register_module("head", head);
    register_module("mlp", mlp);
  }

  torch::Tensor forward(const torch::Tensor& tokens) {
    torch::Tensor states = std::get<0>(lstm(embed(tokens)));  // (batch, time, 5)
    torch::Tensor h = torch::zeros({tokens.size(0), 5});
    std::vector<torch::Tensor> steps;
    for (int64_t t = 0; t < tokens.size(1); ++t) {
      h = cell(states.select(1, t), h);
      steps.push_back(mlp->forward(h));
    }
    return head(torch::stack(steps, 1));  // (batch, time, 4)
  }

  torch::nn::Embedding embed;
  torch::nn::LSTM lstm;
  torch::nn::GRUCell cell;
  torch::nn::Linear head;
  torch::nn::Sequential mlp;
};
TORCH_MODULE(Tagger);

int main() {
  Tagger tagger;
  {
    torch::NoGradGuard no_grad;
    int64_t k = 0;
    for (auto& item : tagger->named_parameters()) {
      torch::Tensor& p = item.value();
      p.copy_((torch::cos(torch::arange(p.numel(), torch::kFloat) * 0.29 + static_cast<double>(k)) * 0.4)
                  .reshape(p.sizes()));
      ++k;
    }
    tagger->embed->weight[0].zero_();  // the padding row
  }
  std::printf("parameters %ld\n", static_cast<long>(tagger->parameters().size()));

  // 6 sentences of 5 tokens (0 is padding), tags in 0..3, padded positions tagged -100 (ignored).
  torch::Tensor tokens = torch::remainder(torch::arange(30, torch::kLong).reshape({6, 5}) * 5 + 1, 12);
  tokens.index_put_({torch::indexing::Slice(0, 2), 4}, 0);
  torch::Tensor tags = torch::remainder(tokens * 3, 4);
  tags.masked_fill_(tokens.eq(0), -100);

  torch::optim::Adam optimizer(tagger->parameters(), torch::optim::AdamOptions(0.02).betas(std::make_tuple(0.8, 0.95)));
  for (int step = 1; step <= 6; ++step) {
    optimizer.zero_grad();
    torch::Tensor logits = tagger->forward(tokens);
    torch::Tensor loss = torch::nn::functional::cross_entropy(
        logits.reshape({-1, 4}), tags.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
    loss.backward();
    const double norm = torch::nn::utils::clip_grad_norm_(tagger->parameters(), 0.5);
    optimizer.step();
    std::printf("step %d loss %.6g grad norm %.6g\n", step, loss.item<double>(), norm);
  }
  torch::NoGradGuard no_grad;
  torch::Tensor predicted = tagger->forward(tokens).argmax(2);
  const int64_t right = predicted.eq(tags).logical_and(tags.ne(-100)).sum().item<int64_t>();
  std::printf("right %ld of %ld\n", static_cast<long>(right), static_cast<long>(tags.ne(-100).sum().item<int64_t>()));
  std::printf("padding row sum %.6g\n", tagger->embed->weight[0].abs().sum().item<double>());
  return 0;
}
