"""Measuring understanding on a hotline's own recordings, through the real call path.

``ivr evaluate FOLDER`` reads ``FOLDER/expected.tsv`` (one recording a line: the 8 kHz WAV
file, its language, what it is — a menu answer, a digit string or a question — and what the
IVR should make of it) and plays each recording as a caller's answer to a turn of a local IVR
(FastAGI + AudioSocket + VAD + recognizer + understanding: the same code as a live call), then
prints per language and kind how many were right, wrong, confirmed (menus), rejected, and
out-of-scope accepted. ``--noise 12`` runs every recording again mixed with noise at 12 dB SNR.
"""
