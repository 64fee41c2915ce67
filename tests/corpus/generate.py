#!/usr/bin/env python3
"""Generate the synthetic corpus files: emoji.txt, whitespace.txt, edge.txt.

Python 3.11, standard library only, no network. Output is deterministic (a
fixed-seed PRNG, no dates, no dict-order dependence), so running it again
rewrites byte-identical files.

    python3 tests/corpus/generate.py          # (re)write the three files
    python3 tests/corpus/generate.py --check  # exit 1 if a committed file differs

Every file is valid UTF-8 and holds only Unicode scalar values (no surrogates).
edge.txt deliberately contains NUL and other C0/C1 controls, a BOM in the
middle of text, noncharacters, private-use code points and special-token
look-alikes such as "<|endoftext|>": encode it as ordinary text.

The output depends on the Unicode database of the running Python (which code
points are assigned), so it refuses to run unless that is 14.0.0 (Python 3.11).
"""
from __future__ import annotations

import argparse
import random
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Which code points are assigned (and so which emoji are listed) depends on the
# Unicode database of the running Python; 3.11 ships 14.0.0.
UNICODE_VERSION = "14.0.0"

ZWJ = "\u200d"
VS15 = "\ufe0e"  # text presentation
VS16 = "\ufe0f"  # emoji presentation
KEYCAP = "\u20e3"
SKIN_TONES = ["\U0001f3fb", "\U0001f3fc", "\U0001f3fd", "\U0001f3fe", "\U0001f3ff"]


def chars(start: int, end: int) -> list[str]:
    """Assigned code points in [start, end], in order."""
    return [chr(c) for c in range(start, end + 1) if unicodedata.category(chr(c)) != "Cn"]


def zalgo(rng: random.Random, text: str, lo: int, hi: int) -> str:
    marks = [chr(c) for c in range(0x0300, 0x0370)]
    out = []
    for ch in text:
        out.append(ch)
        if not ch.isspace():
            out.extend(rng.choice(marks) for _ in range(rng.randint(lo, hi)))
    return "".join(out)


# --------------------------------------------------------------------------
# emoji.txt
# --------------------------------------------------------------------------

def emoji_txt() -> str:
    rng = random.Random(0xE0E0)
    out: list[str] = []
    add = out.append

    add("# Emoji, one code point each (emoticons, pictographs, transport, supplemental)")
    for lo, hi in [(0x1F600, 0x1F64F), (0x1F300, 0x1F3FA), (0x1F400, 0x1F4FF),
                   (0x1F680, 0x1F6FF), (0x1F900, 0x1F9FF), (0x1FA70, 0x1FAFF)]:
        cs = [c for c in chars(lo, hi) if not 0x1F3FB <= ord(c) <= 0x1F3FF]
        for i in range(0, len(cs), 32):
            add(("".join if (i // 32) % 2 else " ".join)(cs[i:i + 32]))

    add("")
    add("# Text-default symbols: bare, with VS15 (text) and with VS16 (emoji)")
    syms = chars(0x2600, 0x26FF) + chars(0x2700, 0x27BF)[::4]
    for i in range(0, len(syms), 32):
        add("".join(syms[i:i + 32]))
        add(" ".join(c + (VS15, VS16)[j % 2] for j, c in enumerate(syms[i:i + 32])))
    add("".join(c + VS16 for c in syms[:64]) + " x\u2764" + VS16 + "y")

    add("")
    add("# Skin-tone modifiers (Fitzpatrick 1-2 .. 6) on people and hands")
    people = ["\U0001f44b", "\U0001f44d", "\U0001f44e", "\U0001f44f", "\U0001f450", "\U0001f64c",
              "\U0001f64f", "\U0001f46e", "\U0001f477", "\U0001f478", "\U0001f9d1", "\U0001f468",
              "\U0001f469", "\U0001f476", "\U0001f474", "\U0001f475", "\U0001f91d", "\U0001f918",
              "\U0001f919", "\U0001f91e", "\U0001f596", "\u270a", "\u270b", "\u270c", "\u261d",
              "\U0001f485", "\U0001f4aa", "\U0001f9b5", "\U0001f442", "\U0001f443"]
    for p in people:
        add(p + " " + " ".join(p + t for t in SKIN_TONES) + " " + "".join(p + t for t in SKIN_TONES))
    add("lone modifiers: " + " ".join(SKIN_TONES) + " " + "".join(SKIN_TONES))

    add("")
    add("# ZWJ sequences: families, couples, professions, flags, hair, misc")
    man, woman, person = "\U0001f468", "\U0001f469", "\U0001f9d1"
    girl, boy, child = "\U0001f467", "\U0001f466", "\U0001f9d2"
    heart, kiss = "\u2764" + VS16, "\U0001f48b"
    fams = []
    for a in (man, woman, person):
        for b in (man, woman, person, None):
            for kids in ((girl,), (boy,), (girl, boy), (boy, boy), (girl, girl), (child,), (child, child)):
                seq = [a] + ([b] if b else []) + list(kids)
                fams.append(ZWJ.join(seq))
    for i in range(0, len(fams), 12):
        add(" ".join(fams[i:i + 12]))
    couples = []
    for a in (man, woman, person):
        for b in (man, woman, person):
            couples.append(ZWJ.join([a, heart, b]))
            couples.append(ZWJ.join([a, heart, kiss, b]))
            for t1 in SKIN_TONES[::2]:
                for t2 in SKIN_TONES[1::2]:
                    couples.append(ZWJ.join([a + t1, heart, b + t2]))
    for i in range(0, len(couples), 12):
        add(" ".join(couples[i:i + 12]))
    objects = ["\U0001f4bb", "\U0001f52c", "\U0001f680", "\U0001f692", "\u2695" + VS16, "\u2696" + VS16,
               "\u2708" + VS16, "\U0001f373", "\U0001f3a4", "\U0001f3a8", "\U0001f3eb", "\U0001f3ed",
               "\U0001f4bc", "\U0001f527", "\U0001f33e", "\U0001f393", "\U0001f9af", "\U0001f9bc",
               "\U0001f9b0", "\U0001f9b1", "\U0001f9b2", "\U0001f9b3"]
    for who in (man, woman, person):
        row = []
        for o in objects:
            row.append(who + ZWJ + o)
            row.extend(who + t + ZWJ + o for t in SKIN_TONES[::2])
        for i in range(0, len(row), 18):
            add(" ".join(row[i:i + 18]))
    gendered = ["\U0001f3c3", "\U0001f6b6", "\U0001f937", "\U0001f926", "\U0001f64b", "\U0001f46e",
                "\U0001f575" + VS16, "\U0001f9d9", "\U0001f9da", "\U0001f9db", "\U0001f9dc", "\U0001f3c4"]
    row = []
    for g in gendered:
        for sign in ("\u2642" + VS16, "\u2640" + VS16):
            row.append(g + ZWJ + sign)
            row.append(g.rstrip(VS16) + SKIN_TONES[2] + ZWJ + sign)
    add(" ".join(row))
    misc = [
        "\U0001f3f3" + VS16 + ZWJ + "\U0001f308",              # rainbow flag
        "\U0001f3f3" + VS16 + ZWJ + "\u26a7" + VS16,           # transgender flag
        "\U0001f3f4" + ZWJ + "\u2620" + VS16,                  # pirate flag
        "\U0001f441" + VS16 + ZWJ + "\U0001f5e8" + VS16,       # eye in speech bubble
        "\U0001f415" + ZWJ + "\U0001f9ba",                     # service dog
        "\U0001f408" + ZWJ + "\u2b1b",                         # black cat
        "\U0001f43b" + ZWJ + "\u2744" + VS16,                  # polar bear
        "\u2764" + VS16 + ZWJ + "\U0001f525",                  # heart on fire
        "\u2764" + VS16 + ZWJ + "\U0001fa79",                  # mending heart
        "\U0001f62e" + ZWJ + "\U0001f4a8",                     # face exhaling
        "\U0001f635" + ZWJ + "\U0001f4ab",                     # face with spiral eyes
        "\U0001f636" + ZWJ + "\U0001f32b" + VS16,              # face in clouds
        "\U0001f9d1" + ZWJ + "\U0001f384",                     # mx claus
        "\U0001f426" + ZWJ + "\u2b1b",                         # black bird
        "\U0001f34b" + ZWJ + "\U0001f7e9",                     # lime
    ]
    add(" ".join(misc) + " " + "".join(misc))
    add("broken ZWJ: " + ZWJ + "\U0001f468" + ZWJ + " " + ZWJ + ZWJ + " \U0001f468" + ZWJ + ZWJ + "\U0001f469"
        + " a" + ZWJ + "b " + "\U0001f468" + ZWJ)

    add("")
    add("# Flags: regional-indicator pairs (valid and invalid), tag sequences")
    codes = ("AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT BW BY BZ CA CD "
             "CF CG CH CI CL CM CN CO CR CU CV CY CZ DE DJ DK DM DO DZ EC EE EG ER ES ET EU FI FJ FM FR GA "
             "GB GD GE GH GM GN GQ GR GT GW GY HN HR HT HU ID IE IL IN IQ IR IS IT JM JO JP KE KG KH KI KM "
             "KN KP KR KW KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MG MH MK ML MM MN MR MT MU MV MW "
             "MX MY MZ NA NE NG NI NL NO NP NR NZ OM PA PE PG PH PK PL PT PW PY QA RO RS RU RW SA SB SC SD "
             "SE SG SI SK SL SM SN SO SR SS ST SV SY SZ TD TG TH TJ TL TM TN TO TR TT TV TW TZ UA UG UN US "
             "UY UZ VA VC VE VN VU WS YE ZA ZM ZW").split()
    ri = lambda s: "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in s)
    flags = [ri(c) for c in codes]
    for i in range(0, len(flags), 25):
        add("".join(flags[i:i + 25]))
        add(" ".join(flags[i:i + 25]))
    add("odd count: " + ri("USA") + " " + ri("G") + " " + ri("ZZ") + ri("QQ") + " " + ri("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    tag = lambda s: "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in s) + "\U000e007f"
    add(" ".join(tag(s) for s in ("gbeng", "gbsct", "gbwls", "ustx", "usca")) + " " + tag("gbeng") * 3)

    add("")
    add("# Keycaps: fully qualified, unqualified, bare")
    keys = list("0123456789#*")
    add(" ".join(k + VS16 + KEYCAP for k in keys))
    add(" ".join(k + KEYCAP for k in keys))
    add("".join(k + VS16 + KEYCAP for k in keys))
    add("\U0001f51f " + "".join(keys) + " a" + KEYCAP + " " + KEYCAP + " 1" + VS16)

    add("")
    add("# Variation selectors: VS1-VS16 after CJK and math, ideographic VS (U+E0100..)")
    add(" ".join("\u845b" + chr(0xE0100 + i) for i in range(16)))
    add(" ".join("\u9089" + chr(0xE0100 + i) for i in range(20)))
    add(" ".join("\u2229" + chr(0xFE00 + i) for i in range(16)) + " \u2268\ufe00 \u2269\ufe00 \u2272\ufe00")
    add("lone selectors: " + " ".join(chr(0xFE00 + i) for i in range(16)) + " " + "".join(chr(0xE0100 + i) for i in range(8)))

    add("")
    add("# Emoji in text")
    sentences = [
        "I love it \u2764\ufe0f\U0001f525\U0001f525 and you? \U0001f914",
        "Ship it \U0001f680\U0001f680\U0001f680!!! (v2.0.1 \u2705)",
        "Meeting at 10\u23f0 in room 4B \U0001f3e2 \u2014 bring \u2615",
        "\U0001f44d\U0001f3fd great work team\U0001f389\U0001f389",
        "Status: \U0001f7e2 ok \U0001f7e1 warn \U0001f534 down \u26aa unknown",
        "Price \U0001f4b2 went \U0001f4c8 then \U0001f4c9; \U0001f4b8\U0001f4b8\U0001f4b8",
        "\U0001f1fa\U0001f1f8 vs \U0001f1ec\U0001f1e7 final score 2\ufe0f\u20e3-1\ufe0f\u20e3",
        "The \U0001f469\u200d\U0001f4bb wrote code while the \U0001f431 slept on the \u2328\ufe0f.",
        "No spaces:\U0001f600\U0001f601\U0001f602\U0001f923\U0001f603\U0001f604\U0001f605\U0001f606words\U0001f609here",
        "emoji\u200dglued\u200dwith\u200dzwj \U0001f600\u200d\U0001f600",
    ]
    for s in sentences:
        add(s)
    add("\U0001f600" * 200)
    add(("\U0001f44d\U0001f3fb" * 50) + ("\U0001f1ef\U0001f1f5" * 50))

    add("")
    add("# Combining marks: precomposed vs decomposed, stacked, enclosing")
    words = ["caf\u00e9", "na\u00efve", "r\u00e9sum\u00e9", "Ti\u1ebfng Vi\u1ec7t", "\u0130stanbul",
             "\u1ea0\u1eb6\u1ec6\u1ed8\u1ef0", "Zo\u00eb", "\u00c5ngstr\u00f6m", "\u01d5\u01d7\u01d9\u01db",
             "fa\u00e7ade", "ni\u00f1o", "\u0151\u0171", "\u1e9b\u0323"]
    for w in words:
        add(" ".join([w, unicodedata.normalize("NFD", w), unicodedata.normalize("NFKC", w),
                      unicodedata.normalize("NFKD", w)]))
    add("stacked: a\u0300\u0301\u0302\u0303\u0304 e\u0323\u0302 o\u031b\u0303 q\u0307\u0323 x\u0336\u0336")
    add("enclosing: a\u20dd b\u20de c\u20df 1\u20e0 \u0488x \u0489y \u20e3\u20e3 \u20dd")
    add("marks on non-letters: 1\u0301 .\u0301 -\u0332\u0332\u0332 _\u0338 \u00a0\u0301 \u3000\u0301")
    add("combining grapheme joiner: a\u034fb e\u034f\u0301 \u034f")
    add("Hebrew points: \u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd \u05d1\u05bc\u05b0\u05e8\u05b5\u05d0\u05e9\u05b4\u05c1\u05d9\u05ea")
    add("Arabic harakat: \u0628\u0650\u0633\u0652\u0645\u0650 \u0627\u0644\u0644\u0651\u064e\u0647\u0650 \u0627\u0644\u0631\u0651\u064e\u062d\u0652\u0645\u064e\u0670\u0646\u0650")
    add("Devanagari: \u0915\u094d\u0937 \u0924\u094d\u0930 \u091c\u094d\u091e \u0936\u094d\u0930\u0940 \u0915\u093f \u0915\u0940 \u0915\u0941 \u0915\u0942 \u0915\u0943 \u0915\u0902 \u0915\u0903")
    add("Thai tone marks: \u0e01\u0e48\u0e49\u0e4a\u0e4b \u0e19\u0e49\u0e33 \u0e1b\u0e31\u0e48\u0e19 \u0e1c\u0e39\u0e49\u0e43\u0e2b\u0e0d\u0e48")
    add("Korean jamo (conjoining): \u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af vs \ud55c\uae00")

    add("")
    add("# Zalgo text (seeded)")
    base = [
        "He comes. The Nezperdian hive-mind of chaos.",
        "To invoke the hive-mind representing chaos.",
        "Invoking the feeling of chaos. With out order.",
        "ZALGO! The quick brown fox jumps over the lazy dog.",
        "token counting is hard; token counting with marks is harder.",
        "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u v\u00e0 \u0130stanbul'da \u0131\u015f\u0131k",
    ]
    for lo, hi, n in [(1, 2, 6), (2, 5, 6), (5, 12, 3)]:
        for s in base[:n]:
            add(zalgo(rng, s, lo, hi))
    add(zalgo(rng, base[3], 10, 25))
    add(zalgo(rng, "x", 150, 150))
    add(zalgo(rng, "\U0001f600 \U0001f468\u200d\U0001f4bb 1 2 3", 3, 6))

    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# whitespace.txt
# --------------------------------------------------------------------------

def whitespace_txt() -> str:
    rng = random.Random(0x5BACE)
    out: list[str] = []
    w = out.append  # pieces are written verbatim: each carries its own line ends

    w("# Runs of spaces before a word, n = 0..80\n")
    for n in range(81):
        w(" " * n + f"word{n}\n")
    w("# Runs of spaces between words and at the end of lines\n")
    for n in range(1, 41):
        w("a" + " " * n + "b" + " " * (n % 7) + "\n")
    w("# Runs of spaces alone on a line\n")
    for n in (1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256):
        w(" " * n + "\n")
    w("# Tabs and mixed indentation\n")
    for n in range(1, 17):
        w("\t" * n + "tabbed\t" + "\t" * (n % 4) + "\n")
    for n in range(1, 25):
        w("".join(rng.choice(" \t") for _ in range(n)) + "mixed" + "".join(rng.choice(" \t") for _ in range(n % 5)) + "\n")
    w("\t \t \t\n \t \t \t\n\t\t    \t\t    x\n")

    w("# CRLF, lone CR, LF CR, and mixes\n")
    for i in range(30):
        w(f"crlf line {i}" + " " * (i % 3) + "\r\n")
    w("lone\rcarriage\rreturns\r\rdouble\r \r\n")
    w("lf-cr\n\rswapped\n\r\n\r\r\n\r\n")
    for i in range(20):
        w(f"mixed {i}" + rng.choice(["\n", "\r\n", "\r", "\n\n", "\r\n\r\n", " \r\n", "\t\n", " \n"]))
    w("\n")

    w("# Blank-line runs: LF and CRLF, with and without trailing blanks\n")
    for n in (2, 3, 5, 8, 13, 21, 40):
        w(f"before {n}" + "\n" * n + f"after {n}\n")
        w(f"before crlf {n}" + "\r\n" * n + f"after crlf {n}\r\n")
        w(f"before spaced {n}" + " \n" * n + "  \t\n" * (n // 2) + f"after spaced {n}\n")

    w("# Non-ASCII spaces: NBSP, ideographic space, en/em/thin/hair, NNBSP, MMSP, ogham\n")
    spaces = ["\u00a0", "\u3000", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006",
              "\u2007", "\u2008", "\u2009", "\u200a", "\u202f", "\u205f", "\u1680", "\u0085", "\u2028", "\u2029"]
    for s in spaces:
        name = unicodedata.name(s, f"U+{ord(s):04X}")
        w(f"{name}:x{s}y{s * 2}z{s * 5}w {s} {s}{s}\n")
        w(f"{s * 3}leading and trailing{s * 3}\n")
    w("price:\u00a010\u00a0\u20ac, 10\u202f000\u00a0km, \u00ab\u00a0bonjour\u00a0\u00bb\n")
    w("\u65e5\u672c\u8a9e\u3000\u306e\u3000\u6587\u3000\u3000\u7ae0\u3000\n\u3000\u3000\u5b57\u4e0b\u3052\u306e\u6bb5\u843d\u3002\n")
    w("zero-width (not spaces): a\u200bb\u200cc\u200dd\u2060e\ufeffF \u200b\u200b\u200b\n")
    w("vertical tab\x0band form feed\x0cinside\x0b\x0c\x0b\n")

    w("# Contractions: every case of 's 't 're 've 'm 'll 'd, straight and curly\n")
    for suf in ("s", "t", "re", "ve", "m", "ll", "d"):
        variants = {suf.lower(), suf.upper(), suf.capitalize(), suf[0].lower() + suf[1:].upper()}
        for v in sorted(variants):
            w(f"it'{v} IT'{v} It'{v} 'word'{v} x'{v}y '{v} '{v}'{v} it\u2019{v} don\u2019{v}\n")
    w("don't DON'T Don't I'LL I'll i'LL we'Re WE'RE we're they'VE They've she'd SHE'D I'm I'M\n")
    w("y'all'd've rock 'n' roll 'tis 'twas o'clock ma'am ne'er-do-well goin' singin'\n")
    w("ain't can't won't shan't wouldn't've couldn't've mightn't mustn't\n")
    w("long s: 'ſ 'ſt ſ'ſ 'ſſ Maſter'ſ it'ſ IT'Ʃ 'ﬅ 'ﬆ\n")
    w("odd apostrophes: '' ''' '''' 's's's 'S'S 'll'll 'D ' s ' t 1's 2'S ''s\n")
    w("other scripts: l'été d'accord dell'anno Ørsted's Ǆemal's ǅemal'S Ǆ'LL Ⅻ's 東京's 1990's\n")
    w("quotes: \"don't\" 'don't' `don't` \u2018don't\u2019 \u201cdon't\u201d \u00abdon't\u00bb\n")

    w("# Digit runs\n")
    base = "1234567890"
    for n in range(1, 41):
        w((base * 5)[:n] + "\n")
    w("1234567890" * 10 + "\n")
    w("0" * 64 + " " + "9" * 64 + "\n")
    for n in range(1, 13):
        w(" ".join((base * 3)[:n] for _ in range(4)) + "\n")
    w("# Letters and digits mixed\n")
    w("abc123def abc1234def ab12cd34ef56 a1b2c3d4e5f6g7h8 123abc abc123 x86_64 arm64 utf8 utf-8 UTF_16LE\n")
    w("v1.2.3 v10.20.30-rc.1+build.5 1.0e-10 6.022e23 3.14159265358979 -42 +7 1_000_000 0x1F 0b1010 0o777\n")
    w("1,234,567.89 1.234.567,89 12:34:56 2024-01-31T12:34:56Z 192.168.0.1 ::1 fe80::1%eth0 +1-555-0100\n")
    w("gpt4o gpt-4o o200k_base cl100k_base claude3 llama3.1-8b mistral7b H2O CO2 MP3 4K 1080p 60fps\n")
    w("ABC123DEF456 AbC123dEf 123ABC456def ___123___ ---456--- ...789... ,,,0,,,\n")
    for _ in range(24):
        w("".join(rng.choice("abcXYZ0123456789") for _ in range(rng.randint(8, 40))) + "\n")
    w("non-ASCII digits: \u0661\u0662\u0663\u0664\u0665 \u0967\u0968\u0969\u096a\u096b \uff11\uff12\uff13\uff14\uff15 "
      "\u0e51\u0e52\u0e53 \U0001d7ce\U0001d7cf\U0001d7d0 abc\u0661\u0662\u0663def x\uff11\uff12\uff13y\n")

    w("# Code-like indentation with trailing whitespace\n")
    code = [
        "def f(x):", "    if x:  ", "        return 1\t", "    ", "    return 0", "",
        "class A:", "\tdef g(self):", "\t\tpass   ", "\t", "", "{", "  \"a\": 1,  ", "  \"b\": [  ",
        "    2,", "    3  ", "  ]", "}", "   ", "<div>", "    <p>  text  </p>  ", "</div>",
    ]
    for line in code:
        w(line + "\n")
    for line in code:
        w(line + "\r\n")

    w("# Whitespace before punctuation and newlines (regex lookahead cases)\n")
    for s in ("  .", "  ,\n", " \n", "  \n", "\t\n", " \t \n", "   !", "\n ", "\n  x", " \r\n", "  \r\n  ", "x \n\n y"):
        w("a" + s + "b\n")
    w("end with spaces then newline    \n")
    w("end with tab\t\n")
    w("end with nbsp\u00a0\n")
    w("end with ideographic space\u3000\n")

    w("# Repeated blocks to reach the target size\n")
    para = ("The  quick\tbrown  fox\u00a0jumps over   the lazy dog's back;  it doesn't     care.  \n"
            "\tIt'LL jump   again\u3000tomorrow,   won't it?\t\t\n"
            "\n   \n"
            "Numbers: 1 22 333 4444 55555 666666 7777777 88888888 abc123def456  \r\n")
    for i in range(64):
        w(para.replace("fox", f"fox{i}"))

    # The file itself ends with trailing whitespace and blank lines, and no final newline.
    w("last line with trailing spaces   \n\n\n  \t  ")
    return "".join(out)


# --------------------------------------------------------------------------
# edge.txt
# --------------------------------------------------------------------------

def de_bruijn(k: int, n: int) -> list[int]:
    """De Bruijn sequence B(k, n) as a list of symbols (cyclic)."""
    a = [0] * k * n
    seq: list[int] = []

    def db(t: int, p: int) -> None:
        if t > n:
            if n % p == 0:
                seq.extend(a[1:p + 1])
        else:
            a[t] = a[t - p]
            db(t + 1, p)
            for j in range(a[t - p] + 1, k):
                a[t] = j
                db(t + 1, t)

    db(1, 1)
    return seq


def edge_txt() -> str:
    out: list[str] = []
    w = out.append

    # The file starts with lone combining marks (no base character).
    w("\u0301\u0308 lone combining marks at the very start of the text\n")

    w("# Every ASCII character alone, one per line (U+0000..U+007F)\n")
    for c in range(128):
        w(chr(c) + "\n")

    w("# Every ordered pair of ASCII characters: a de Bruijn sequence B(128, 2)\n")
    seq = de_bruijn(128, 2)
    seq = seq + seq[:1]  # close the cycle so the pair (last, first) appears too
    w("".join(chr(c) for c in seq))
    w("\n")

    w("# Titlecase letters (Lt), alone, after space, in words and with contractions\n")
    lt = chars(0x01C5, 0x01C5) + chars(0x01C8, 0x01C8) + chars(0x01CB, 0x01CB) + chars(0x01F2, 0x01F2) + \
        [c for c in chars(0x1F88, 0x1FFC) if unicodedata.category(c) == "Lt"]
    w("".join(lt) + "\n" + " ".join(lt) + "\n")
    w(" ".join(f"{c}ungla {c}UNGLA x{c}y {c}'s {c}'S {c}'ll 1{c}" for c in lt[:6]) + "\n")

    w("# Modifier letters (Lm)\n")
    lm = [c for c in chars(0x02B0, 0x02FF) if unicodedata.category(c) == "Lm"]
    lm += ["\u3005", "\u30fc", "\u309d", "\u309e", "\u30fd", "\uff70", "\ua717", "\ua788", "\u1d2c", "\u1d43", "\u0640", "\u07fa"]
    w("".join(lm) + "\n" + " ".join(lm) + "\n")
    w("x\u02b0y \u02b0x x\u02b0 A\u02b0B \u02b0\u02b0 \u30b3\u30fc\u30d2\u30fc \u4eba\u3005 \u0645\u0640\u0640\u0640\u0631\u062d\u0628\u0627 a\u02bcb \u02bc's\n")

    w("# Other letters (Lo) from many scripts, and mixed with Latin/digits\n")
    lo = ["\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u05e2\u05d1\u05e8\u05d9\u05ea", "\u0e44\u0e17\u0e22",
          "\u4e2d\u6587", "\u3072\u3089\u304c\u306a", "\u30ab\u30bf\u30ab\u30ca", "\ud55c\uad6d\uc5b4",
          "\u3105\u3106\u3107", "\u1200\u1208\u1210", "\u0d05\u0d06", "\u0f40\u0f41", "\u1780\u1781",
          "\ua000\ua001", "\U00020000\U0002a6d6", "\U0001200a\U00012000", "\u2d30\u2d31"]
    w(" ".join(lo) + "\n")
    w("".join(lo) + "\n")
    w(" ".join(f"{s}abc ABC{s} 12{s}34 {s}'s" for s in lo[:8]) + "\n")

    w("# Nonspacing (Mn), spacing (Mc) and enclosing (Me) marks after space, after letters, after digits, doubled\n")
    mn = ["\u0300", "\u0301", "\u0308", "\u0327", "\u0336", "\u05b4", "\u064b", "\u0e31", "\u0e48", "\u093c", "\u1ab0", "\u20d0", "\ufe20"]
    mc = ["\u0903", "\u093e", "\u093f", "\u0940", "\u0982", "\u0bbe", "\u0d3e", "\u102b", "\u1b04", "\U0001d165"]
    me = ["\u0488", "\u0489", "\u20dd", "\u20de", "\u20df", "\u20e0", "\u20e2", "\u20e3", "\u20e4", "\ua670"]
    for group in (mn, mc, me):
        w(" ".join(f" {m}|a{m}|A{m}b|1{m}|{m}{m}|.{m}|\u0915{m}|\u4e2d{m}|{m}'s" for m in group) + "\n")
    w(" " + "".join(mn) + "\n")
    w("\n" + "\u0301" * 40 + "\n")

    w("# Numbers: Nd (decimal digits of many scripts), Nl (letter numbers), No (other numbers)\n")
    nd_zero = [0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66,
               0x0CE6, 0x0D66, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x17E0, 0x1810, 0xFF10, 0x1D7CE, 0x1D7D8,
               0x1D7E2, 0x1D7EC, 0x1D7F6, 0x104A0, 0x11066, 0x1E950]
    for z in nd_zero:
        ds = "".join(chr(z + i) for i in range(10))
        w(f"{ds} {ds[:1]} {ds[:3]} {ds[:4]} {ds * 2} a{ds[:3]}b\n")
    nl = chars(0x2160, 0x2188) + ["\u3007", "\u3021", "\u3022", "\u3029", "\U00010140", "\U00010341", "\U0001034a", "\U00012400"]
    w("".join(nl) + "\n" + " ".join(nl) + "\n")
    w("Chapter \u216b, \u216b\u00b2, \u2167th, year \u216f\u216e\u2169\u2169\u2169\u2160\u2163, \u2160\u2161\u2162123\n")
    no = ["\u00b2", "\u00b3", "\u00b9", "\u00bc", "\u00bd", "\u00be", "\u2070", "\u2074", "\u2079", "\u2080", "\u2089",
          "\u2150", "\u215f", "\u2460", "\u2473", "\u2474", "\u2488", "\u24ea", "\u2776", "\u277f", "\u2780",
          "\u3192", "\u3220", "\u3280", "\U00010107", "\U0001d360", "\U0001f100", "\U0001f10a", "\u0bf0", "\u09f4"]
    w("".join(no) + "\n" + " ".join(no) + "\n")
    w("x\u00b2+y\u00b2=z\u00b2 H\u2082O E=mc\u00b2 10\u2076 \u00bd\u00bc 3\u00bd 1\u00b2\u00b3\u2074\u2075\u2076 \u2460\u2461\u2462abc\n")
    w("# Digit-run lengths 1..16 in several scripts (o200k splits \\p{N} into groups of up to 3)\n")
    for z in (0x30, 0x660, 0x966, 0xFF10, 0x1D7CE):
        w(" ".join("".join(chr(z + (i % 10)) for i in range(n)) for n in range(1, 17)) + "\n")
    w("1" * 300 + "\n")

    w("# Line and paragraph separators, NEL, BOM, other format characters\n")
    w("NEL:a\u0085b\u0085\u0085c  LS:a\u2028b\u2028\u2028c  PS:a\u2029b\u2029\u2029c  mixed:\u0085\u2028\u2029\r\n\u2028\n")
    w("\ufeffBOM at line start, mid\ufeffword, doubled \ufeff\ufeff, before space \ufeff x, alone:\n\ufeff\n")
    w("soft\u00adhy\u00adphen zero\u200bwidth zw\u200cnj zw\u200dj word\u2060joiner lrm\u200e rlm\u200f "
      "lre\u202aembed\u202c rlo\u202eoverride\u202c lri\u2066iso\u2069 \u061c alm\n")
    w("C1 controls: " + "".join(chr(c) for c in range(0x80, 0xA0)) + "\n")
    w("C0 in words: a\x00b c\x01d e\x1bf[0m g\x7fh\n")

    w("# Supplementary planes: math alphanumerics, Gothic, cuneiform, musical, CJK ext B, tags, private use\n")
    fraktur = "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522"  # Unicode in fraktur
    w(f"{fraktur} {fraktur}'s {fraktur.upper()} x{fraktur}1\n")
    w("\U0001d401\U0001d428\U0001d425\U0001d41d \U0001d44a\U0001d456\U0001d461\U0001d452 \U0001d4af\U0001d4ca\U0001d4c7\U0001d4be\U0001d4c5\U0001d4c9 "
      "\U0001d68c\U0001d698\U0001d68d\U0001d68e \U0001d7d9\U0001d7da\U0001d7db\n")
    w("Gothic: \U00010348 \U00010330\U00010331\U00010332\U00010333\U00010334\U00010335 \U00010348\U00010348\U00010348 a\U00010348b\n")
    w("Cuneiform \U00012000\U00012001\U00012002 Linear B \U00010000\U00010001 Musical \U0001d11e\U0001d122\U0001d160 "
      "Egyptian \U00013000\U00013001 Old Italic \U00010300\U00010301\n")
    w("CJK ext B-G: \U00020000\U00020001\U0002a700\U0002b740\U0002b820\U0002ceb0\U00030000\U00031350\n")
    w("tags: \U000e0001\U000e0020\U000e0041\U000e007e\U000e007f private use: \ue000\uf8ff\U000f0000\U000ffffd\U00100000\U0010fffd\n")
    w("noncharacters: \ufdd0\ufdef\ufffe\uffff\U0001fffe\U0001ffff\U0010fffe\U0010ffff replacement: \ufffd\ufffd \ufffdx\n")
    w("max scalar: \U0010ffff, min supplementary: \U00010000, last BMP: \uffff, after surrogates: \ue000\n")

    w("# Case and script boundaries inside words\n")
    w("HTTPServer XMLHttpRequest getHTTPResponseCode iPhone eBay McDonald's O'Neill'S \u0130stanbul \u0131stanbul "
      "\u0130I\u0131i stra\u00dfe STRASSE \u1e9e \u00df\u00df \u01c4\u01c5\u01c6 \u01f1\u01f2\u01f3 \u03a3\u03c3\u03c2 "
      "\uff21\uff22\uff23\uff41\uff42\uff43 \u0391\u0410A (Greek/Cyrillic/Latin A)\n")
    w("mixedScript: abc\u0430\u0431\u0432\u03b1\u03b2\u03b3\u05d0\u05d1\u4e2d\u6587\u3042\u30a2\ud55c\u0e01\u0915\u0627 "
      "Latin\u0410Cyr \u4e2dEnglish\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629English\u05e2\u05d1\u05e8\u05d9\u05ea\n")

    w("# Punctuation runs followed by newlines and slashes\n")
    for p in ("...", "!!!", "???", "---", "___", "***", "///", "\\\\\\", "|||", "~~~", "```", "===",
              "//", "/**/", "<!--", "-->", "=>", "->", "::", ";;", "#!", "@@", "%%", "^^", "&&", "||"):
        w(f"{p}\n{p}\r\n{p}/\n x{p}y {p}{p} {p}//\n")
    w("\u3002\u3001\uff01\uff1f\u300c\u300d\u300e\u300f\u3010\u3011 \u060c\u061b\u061f \u0964\u0965 \u00bf\u00a1 "
      "\u2026\u2026 \u2014\u2014 \u2013 \u00b7 \u2022 \u203d \u2e18\n")

    w("# Special-token look-alikes (must be encoded as ordinary text)\n")
    w("<|endoftext|> <|endofprompt|> <|fim_prefix|><|fim_middle|><|fim_suffix|> <|im_start|>user<|im_end|> "
      "<|begin_of_text|><|eot_id|> <s></s> [INST] [/INST] <bos><eos><pad> <unk> <|endoftext |> < |endoftext|>\n")

    w("# Long runs (BPE worst cases)\n")
    w("a" * 1000 + "\n")
    w("ab" * 400 + "\n")
    w(" " * 500 + "x\n")
    w("\n" * 50)
    w("\u4e00" * 300 + "\n")
    w("\u00e9" * 300 + "\n")
    w("\U0001f600" * 100 + "\n")
    w("." * 400 + "\n")

    # The file ends with whitespace and a lone combining mark after a space.
    w("end \u0301  ")
    return "".join(out)


FILES = {"emoji.txt": emoji_txt, "whitespace.txt": whitespace_txt, "edge.txt": edge_txt}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    ap.add_argument("--any-unicode", action="store_true",
                    help="run on a Python whose Unicode database is not 14.0.0 (output will differ)")
    args = ap.parse_args()
    if unicodedata.unidata_version != UNICODE_VERSION and not args.any_unicode:
        print(f"generate.py needs Unicode {UNICODE_VERSION} (Python 3.11); this Python has "
              f"{unicodedata.unidata_version}: its output would differ (pass --any-unicode to run anyway)",
              file=sys.stderr)
        return 2
    status = 0
    for name, fn in FILES.items():
        text = fn()
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
        data = text.encode("utf-8")
        path = HERE / name
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                print(f"{name}: differs from generate.py output", file=sys.stderr)
                status = 1
        else:
            path.write_bytes(data)
            print(f"{name:16} {len(data):>7} bytes {len(text):>7} chars")
    return status


if __name__ == "__main__":
    sys.exit(main())
