"""English stop words: the function words a keyphrase candidate neither starts nor ends with nor crosses.

Written for this project (articles, pronouns, prepositions, conjunctions, auxiliaries and modals,
quantifiers and the commonest adverbs), lowercased; clitics as the PTB tokenizer splits them
(``'s``, ``n't``). Content words, however common (``time``, ``system``, ``new``), are not here:
how common a word is in general is a ranking feature (``scoring/candidates.py``), not a filter.
"""

from __future__ import annotations

STOP_WORDS = frozenset(
    """
    a about above across after afterwards again against albeit all almost alone along already also although
    always am among amongst an and another any anybody anyhow anyone anything anyway anywhere are around as
    at be became because become becomes becoming been before beforehand behind being below beside besides
    between beyond both but by can cannot could did do does doing done down due during each either else
    elsewhere enough etc even ever every everybody everyone everything everywhere except few for former
    formerly from further furthermore had has have having he hence her here hereafter hereby herein hers
    herself him himself his how however i ie if in indeed into is it its itself just last latter latterly
    least less many may me meanwhile might mine more moreover most mostly much must my myself namely neither
    never nevertheless next no nobody none noone nor not nothing now nowhere of off often on once one ones
    only onto or other others otherwise our ours ourselves out over own per perhaps rather same several
    shall she should since so some somehow someone something sometime sometimes somewhere still such than
    that the their theirs them themselves then thence there thereafter thereby therefore therein thereof
    thereupon these they this those though through throughout thru thus to together too toward towards
    under unless until up upon us very via was we well were what whatever when whence whenever where
    whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever whole whom
    whose why will with within without would yet you your yours yourself yourselves
    's 're 've 'll 'd 'm n't ca wo e.g. i.e. vs vs. et al al.
    """.split()
)


def is_stop_word(word: str) -> bool:
    """Whether ``word`` (any case) is an English stop word."""
    return word.lower() in STOP_WORDS
