"""The embedded default's model: a WordPiece tokenizer and a small random ELECTRA.

The tokenizer is trained on the training split's text. Its normaliser keeps
Hangul syllables whole: the BERT defaults (lowercasing with accent stripping)
decompose syllables into jamo, after which nothing matches the vocabulary.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import torch
from tokenizers import (
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)
from transformers import (
    ElectraConfig,
    ElectraForQuestionAnswering,
    PreTrainedTokenizerFast,
)

from extractive_qa.demo.vocabulary import learn_vocabulary

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Particles split off the end of a word before WordPiece, longest first, the way
# morpheme-aware Korean tokenizers do. Without it a vocabulary trained on a
# small corpus learns names with their particle glued on ("##보는", "##협회의"),
# and an answer span could not end where the answer ends.
PARTICLES = "에서|으로|은|는|이|가|을|를|의|에|로|과|와|도"


def train_wordpiece_tokenizer(
    texts: Iterable[str],
    *,
    vocab_size: int,
    alphabet: str = "",
    model_max_length: int = 512,
) -> PreTrainedTokenizerFast:
    """Train a cased WordPiece tokenizer on ``texts``; ``alphabet`` is always kept."""
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    # NFC composes jamo into syllables; nothing lowercases or strips accents.
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.BertPreTokenizer(),
            pre_tokenizers.Digits(individual_digits=False),
            pre_tokenizers.Split(
                Regex(f"({PARTICLES})$"), behavior="isolated", invert=False
            ),
        ]
    )
    words: Counter[str] = Counter()
    for text, n in Counter(texts).items():
        normalized = tokenizer.normalizer.normalize_str(text)
        for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(normalized):
            words[word] += n
    vocabulary = learn_vocabulary(
        sorted(words.items()),
        vocab_size=vocab_size,
        alphabet=alphabet,
        special_tokens=SPECIAL_TOKENS,
    )
    tokenizer.model = models.WordPiece(
        vocab={token: i for i, token in enumerate(vocabulary)}, unk_token="[UNK]"
    )
    cls_id = tokenizer.token_to_id("[CLS]")
    sep_id = tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tokenizer.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
        padding_side="right",
        # transformers 5 drops token_type_ids unless asked; ELECTRA reads them to
        # tell the question from the context.
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


def build_tiny_electra(
    tokenizer: PreTrainedTokenizerFast,
    *,
    hidden_size: int,
    num_hidden_layers: int,
    num_attention_heads: int,
    intermediate_size: int,
    max_position_embeddings: int,
    seed: int,
    dropout: float = 0.1,
) -> ElectraForQuestionAnswering:
    """A randomly initialised ELECTRA discriminator with a span-prediction head."""
    torch.manual_seed(seed)
    config = ElectraConfig(
        vocab_size=len(tokenizer),
        embedding_size=hidden_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    model = ElectraForQuestionAnswering(config)
    _init_sinusoidal_positions(model)
    return model


def _init_sinusoidal_positions(model: ElectraForQuestionAnswering) -> None:
    """Start the position table from sinusoids instead of noise.

    With sinusoids, "the token k places before" is a linear map of a position's
    embedding, so attention learns local patterns (the word after 《, the
    number before 년) in a few hundred steps instead of thousands. They are
    scaled to the spread of the randomly initialised token embeddings.
    """
    table = model.electra.embeddings.position_embeddings.weight
    n_positions, width = table.shape
    position = torch.arange(n_positions, dtype=torch.float32)[:, None]
    frequency = torch.exp(
        torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width)
    )
    sinusoids = torch.zeros(n_positions, width)
    sinusoids[:, 0::2] = torch.sin(position * frequency)
    sinusoids[:, 1::2] = torch.cos(position * frequency)
    scale = model.config.initializer_range / sinusoids.std()
    with torch.no_grad():
        table.copy_(sinusoids * scale)
