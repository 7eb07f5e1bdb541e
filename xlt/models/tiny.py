"""Tiny twins: random-init models built from real architecture configs, with a local tokenizer.

Built deterministically (fixed seed, fixed corpus) and cached on disk by a hash of everything that
goes into them, so every process and test sees the same weights. No network.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from xlt.config.schema import ModelConf, typed

from xlt.models.arch import arch_dict, build_config

TOKENIZER_VERSION = 1
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>"]

# A few sentences per script so the byte-level BPE learns merges for each; bytes cover the rest.
SEED_CORPUS = """\
The market opens at nine and closes at six. Question: When does the market close? Answer: 2
Le marché ouvre à neuf heures et ferme à six heures. Question : Quand le marché ferme-t-il ?
يفتح السوق في الساعة التاسعة ويغلق في السادسة. سؤال: متى يغلق السوق؟ الإجابة: 3
השוק נפתח בשעה תשע ונסגר בשש. שאלה: מתי השוק נסגר? תשובה: 4
ገበያው በሦስት ሰዓት ይከፈታል በአሥራ ሁለት ሰዓት ይዘጋል። ጥያቄ፡ ገበያው መቼ ይዘጋል? መልስ፡ 1
Is-suq jiftaħ fid-disgħa u jagħlaq fis-sitta. Mistoqsija: Meta jagħlaq is-suq? Tweġiba: 2
市場は九時に開き、六時に閉まります。質問：市場はいつ閉まりますか？答え：3
시장은 아홉 시에 열고 여섯 시에 닫습니다. 질문: 시장은 언제 닫습니까? 답: 4
市场九点开门，六点关门。问题：市场什么时候关门？答案：1
El mercado abre a las nueve y cierra a las seis. Pregunta: ¿Cuándo cierra el mercado?
Pazar dokuzda açılır ve altıda kapanır. Soru: Pazar ne zaman kapanır? Cevap: 2
P: passage Q: question A: one B: two C: three D: four Answer: A Answer: B Answer: C Answer: D
1. one 2. two 3. three 4. four Answer: 1 Answer: 2 Answer: 3 Answer: 4
"""


def cache_root() -> Path:
    """Where tiny twins are cached (``XLT_CACHE_DIR``, default ``.cache/xlt`` in the working dir)."""
    return Path(os.environ.get("XLT_CACHE_DIR", ".cache/xlt")).resolve()


def _corpus() -> str:
    from xlt.data.fixtures import corpus_text  # fixture passages in every fixture language

    return SEED_CORPUS + "\n" + corpus_text()


def build_tokenizer(vocab_size: int = 2048):
    """Train a byte-level BPE tokenizer on the local multilingual corpus (deterministic, ~0.1 s)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus().splitlines(), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
    )


def tiny_key(model_cfg: DictConfig | dict[str, Any]) -> str:
    """Hash of everything that determines a tiny twin's files."""
    payload = {
        "arch": arch_dict(model_cfg),
        "seed": typed(ModelConf, model_cfg).init_seed,
        "tokenizer": TOKENIZER_VERSION,
        "corpus": hashlib.sha256(_corpus().encode()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


def ensure_tiny(model_cfg: DictConfig | dict[str, Any]) -> Path:
    """Build (once) and return the directory of a tiny twin: safetensors weights + tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM

    name = model_cfg["name"]
    out = cache_root() / "tiny" / f"{name}-{tiny_key(model_cfg)}"
    if (out / "DONE").exists():
        return out
    tokenizer = build_tokenizer()
    config = build_config(
        model_cfg,
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(typed(ModelConf, model_cfg).init_seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    from xlt.models.checkpoint import save_atomically

    return save_atomically(model, tokenizer, out)
