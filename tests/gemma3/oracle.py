"""Gemma 3 / Gemini token counts from Google's own code, for farebox's differential tests.

Writes `tests/fixtures/gemma3/text.json` (token ids of corpus samples and
generated text, by `sentencepiece` with the model Google's `google-genai` SDK
pins, and the SDK's `LocalTokenizer.count_tokens` of each) and
`tests/fixtures/gemma3/requests.json` (whole Gemini `generateContent` bodies:
the SDK's count of their contents, system instruction, tools and response
schema).

Reproduce (README.md beside this file): Python 3.11, `pip install -r
requirements.txt`, then `python3 tests/gemma3/oracle.py` from the repository
root. Offline: the model comes from the `gemini-tokenizer` crate in the local
cargo registry (found with `cargo metadata`), checked against the SDK's
pinned sha256, and is put where the SDK's loader looks for its cache, so the
SDK never downloads. `--check` regenerates into memory and exits 1 if the
committed fixtures differ.
"""

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "gemma3"
CORPUS = ROOT / "tests" / "corpus"
MODEL_NAME = "gemini-2.5-pro"


def model_file() -> Path:
    meta = json.loads(
        subprocess.check_output(
            ["cargo", "metadata", "--format-version", "1", "--all-features"], cwd=ROOT
        )
    )
    pkg = next(p for p in meta["packages"] if p["name"] == "gemini-tokenizer")
    return Path(pkg["manifest_path"]).parent / "resources" / "gemma3_cleaned_262144_v2.spiece.model"


def install_model() -> None:
    """Puts the model where `_local_tokenizer_loader._load` finds it cached."""
    from google.genai import _local_tokenizer_loader as loader

    config = loader._TOKENIZERS["gemma3"]
    data = model_file().read_bytes()
    if hashlib.sha256(data).hexdigest() != config.model_hash:
        sys.exit("the model file is not the one the SDK pins")
    cache = Path(tempfile.gettempdir()) / "vertexai_tokenizer_model"
    cache.mkdir(exist_ok=True)
    (cache / hashlib.sha1(config.model_url.encode()).hexdigest()).write_bytes(data)
    # Belt and braces: the loader must not reach the network.
    loader._load_file = lambda url: sys.exit(f"the SDK tried to download {url}")


def ids_digest(ids) -> str:
    return hashlib.sha256(b"".join(i.to_bytes(4, "little") for i in ids)).hexdigest()


def corpus_samples():
    """Per corpus file: the whole file and up to 40 line-aligned chunks of ~2 KB."""
    for path in sorted(CORPUS.glob("*.txt")):
        data = path.read_bytes()
        yield path.name, 0, len(data)
        starts = [0]
        while starts[-1] < len(data):
            nl = data.find(b"\n", starts[-1] + 2048)
            starts.append(len(data) if nl < 0 else nl + 1)
        chunks = list(zip(starts, starts[1:]))
        step = max(1, len(chunks) // 40)
        for a, b in chunks[::step]:
            yield path.name, a, b


# Characters chosen for the model's rules: spaces and `▁` (the same symbol),
# the user-defined runs (spaces, newlines, tabs) and tags, the one piece with
# `▁` inside (`>▁</`), byte fallback (characters the vocabulary lacks: private
# use, unassigned, rare CJK), digits, scripts, emoji sequences, controls.
ALPHABET = list(
    "aAzZeé0159 \t\n\r▁>/<[]mask_-.,!?'\"()中文の한Жاह😀👍🏽\u200d\ufe0f\u0301\x00\x7f\u00a0\u3000"
) + ["\ue000", "\U000f0000", "\U0002a6d6", "\u0378", "\U0001fae8", "\u2581\u2581", "  ", "\n\n\n"]
SNIPPETS = [
    "<mask>", "<unused0>", "<unused6241>", "<unused6242>", "[multimodal]", "<pad>", "<bos>", "<eos>", "<unk>",
    "<0x41>", "<start_of_turn>", "> </", ">▁</", "<b> </b>", " " * 31, " " * 32, " " * 63, "\n" * 31, "\n" * 33,
    "\t" * 40, "the", " the", "ing", "http://example.com/a?b=c", "12345678901234567890", "３４５", "ℌ",
]


def generated_texts():
    rng = random.Random(20261204)
    texts = ["", " ", "  ", "\n", "a", "hello world", "Hello World", " leading", "trailing ", "▁", " ▁ ", "<mask>"]
    for n in range(400):
        parts = []
        for _ in range(rng.randint(1, 40 if n < 300 else 200)):
            parts.append(rng.choice(SNIPPETS) if rng.random() < 0.15 else rng.choice(ALPHABET))
        texts.append("".join(parts))
    return texts


def long_runs():
    """Adversarial runs: one character repeated (the worst case for merging), mixed runs."""
    return [
        ("a", 10000), ("aaab", 3000), (" ", 5000), ("▁", 2000), ("\n", 1000), ("中", 3000),
        ("😀", 1000), ("\ue000", 500), ("ab ", 3000), ("> </", 1000), ("0", 5000),
    ]


def main() -> None:
    check = "--check" in sys.argv
    install_model()
    from google.genai import _local_tokenizer_loader as loader
    from google.genai.local_tokenizer import LocalTokenizer
    import google.genai
    import sentencepiece

    sdk = LocalTokenizer(model_name=MODEL_NAME)
    sp = loader.get_sentencepiece("gemma3")

    def counted(text: str):
        ids = sp.encode(text)
        total = sdk.count_tokens(text).total_tokens if text else 0
        if total != len(ids):
            sys.exit(f"the SDK counts {total}, sentencepiece encodes {len(ids)} for {text[:80]!r}")
        return ids

    versions = {
        "google-genai": google.genai.__version__,
        "sentencepiece": sentencepiece.__version__,
        "model_sha256": loader._TOKENIZERS["gemma3"].model_hash,
    }
    corpus = []
    for name, a, b in corpus_samples():
        text = (CORPUS / name).read_bytes()[a:b].decode("utf-8")
        ids = counted(text)
        corpus.append({"file": name, "start": a, "end": b, "count": len(ids), "ids_sha256": ids_digest(ids)})
    generated = [{"text": t, "ids": counted(t)} for t in generated_texts()]
    runs = []
    for unit, times in long_runs():
        ids = counted(unit * times)
        runs.append({"unit": unit, "times": times, "count": len(ids), "ids_sha256": ids_digest(ids)})
    text_fixture = {
        "about": "Token ids by sentencepiece with Gemma 3's model, each count equal to the google-genai "
        "SDK's LocalTokenizer.count_tokens; generated by tests/gemma3/oracle.py",
        "versions": versions,
        "corpus": corpus,
        "generated": generated,
        "runs": runs,
    }

    requests = []
    for name, body in json.loads((ROOT / "tests" / "gemma3" / "requests.json").read_text()).items():
        config = {}
        if "systemInstruction" in body:
            config["system_instruction"] = body["systemInstruction"]
        if "tools" in body:
            config["tools"] = body["tools"]
        schema = body.get("generationConfig", {}).get("responseSchema")
        if schema is not None:
            config["generation_config"] = {"response_schema": schema}
        total = sdk.count_tokens(body["contents"], config=config or None).total_tokens
        requests.append({"name": name, "model": MODEL_NAME, "sdk_count": total})
    request_fixture = {
        "about": "google-genai LocalTokenizer.count_tokens of each body in tests/gemma3/requests.json "
        "(contents; config: system_instruction, tools, generation_config.response_schema); "
        "generated by tests/gemma3/oracle.py",
        "versions": versions,
        "requests": requests,
    }

    outputs = {
        OUT / "text.json": json.dumps(text_fixture, ensure_ascii=False, indent=0) + "\n",
        OUT / "requests.json": json.dumps(request_fixture, ensure_ascii=False, indent=1) + "\n",
    }
    for path, text in outputs.items():
        if check:
            if not path.exists() or path.read_text() != text:
                sys.exit(f"{path.relative_to(ROOT)} differs from what oracle.py generates")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
