"""Han character forms that belong to one written standard only, told apart by the legacy
character sets that hold them: the checks that keep Simplified and Japanese forms off
Traditional Chinese pages (exemplars and vocabularies). Part of what decides a vocabulary's
words, so `vocabcache` hashes this module with the others."""

from __future__ import annotations

from functools import cache


def simplified_only(item: str) -> bool:
    """True for a character Big5 lacks and GB 2312 has: a Simplified form (CLDR's zh_Hant
    main exemplars list 简, whose Traditional form 簡 is listed too). Traditional variants
    outside Big5 (彞, 敍, 鉢) are in neither and stay."""
    try:
        item.encode("cp950")
        return False
    except UnicodeEncodeError:
        pass
    try:
        item.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


@cache
def japanese_only(ch: str) -> bool:
    """True for a Japanese shinjitai form no Traditional (or Simplified) Chinese text uses: a
    character JIS X 0208 (Shift_JIS) has and neither Big5(-HKSCS) nor GB 2312 does (気 氣,
    歩 步, 満 滿). Big5-HKSCS keeps the Hong Kong and older Traditional forms Big5 lacks
    (啓 衆 峯 羣 敍 鉢 綫, OpenCC's s2hk output) on Traditional pages.
    wordfreq's Chinese list holds a few Japanese words, which OpenCC's s2tw leaves as they are:
    zh-Hant pages printed 蝙蝠俠気 and 穴位徳津津 (#16)."""
    def has(encoding: str) -> bool:
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            return False
        return True

    return (has("shift_jis") and not has("cp950") and not has("big5hkscs")
            and not has("gb2312"))
