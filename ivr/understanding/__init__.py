"""What a caller's words mean, whatever the language and whichever recognizer heard them.

A menu, a yes/no question and the survey give a few phrases per choice; callers answer in a
word ("balance"), a sentence ("I'd like to know my balance"), a key's number ("two", "option
two") or mishear-able approximations of them. :func:`ivr.understanding.choice.pick` finds the
choice a transcript names and how sure it is, so the caller of it can act, confirm or re-ask.
"""
