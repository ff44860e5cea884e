"""pyttsx3 voices (its espeak driver), synthesized in small worker processes.

Why worker processes and not one engine in this process behind a lock:

* pyttsx3's engine is a process singleton with its own event loop, and its espeak driver keeps
  global C state (one synth callback per process). A lock would make calls safe, but
* a stuck synthesis could not be bounded: ``runAndWait()`` returns after *starting* espeak,
  whose own thread makes the audio and writes the wav; when that thread fails (an exception in
  the driver's ctypes callback, such as a failed write, is printed and swallowed) the end never
  comes, and waiting for it would hold the lock for good. A worker is killed at the deadline
  and replaced; a thread cannot be.
* the driver ``print()``s "Audio saved to ..." on stdout, and stdout is the AGI channel of
  classic AGI (``ivr agi``). A worker's stdout is /dev/null; its replies use their own pipe.
* it is faster under load. bench/tts.py on the 2-core target, 90 texts from 8 threads, in
  two runs: one locked engine 31.6 and 20.7 ms a text (latency p50 244 and 172 ms), two
  workers 24.4 and 15.5 ms (p50 175 and 120 ms); one at a time both take 30-45 ms a sentence
  (synthesis, sox, and for a worker a ~1 ms round trip). A worker starts in ~0.2 s, once;
  the second only when two texts are asked for at once.

The wav that pyttsx3 writes (22.05 kHz) is converted by sox to 8 kHz 16-bit mono slin.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

from ivr.tts.espeak import SynthesisError, to_slin
from ivr.wire.readiness import readable

# espeak voice per language, as pyttsx3's espeak driver names them: Northern Vietnamese,
# Mandarin, American English.
VOICES = {"vi": "vi", "zh": "cmn", "en": "en-us"}
SYNTH_TIMEOUT = 15.0  # one text, including a worker's start
WORKERS = 2  # one per core of the target machine; a worker starts only when needed
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class Pyttsx3Voice:
    engine = "pyttsx3"

    def __init__(
        self,
        language: str,
        rate: int = 160,
        voice: str | None = None,
        timeout: float = SYNTH_TIMEOUT,
    ) -> None:
        if voice is None and language not in VOICES:
            raise SynthesisError(f"no pyttsx3 voice configured for language {language!r}")
        self.language = language
        self.voice = voice or VOICES[language]
        self.rate = rate
        self.timeout = timeout

    @property
    def key(self) -> str:
        return f"{self.engine}|{self.voice}|{self.rate}"

    def synthesize(self, text: str) -> bytes:
        """Return 8 kHz signed 16-bit little-endian mono PCM for ``text``."""
        if not text.strip():
            raise SynthesisError("pyttsx3 was given an empty text")
        fd, wav = tempfile.mkstemp(prefix="ivr-tts-", suffix=".wav")
        os.close(fd)
        try:
            request = {"voice": self.voice, "rate": self.rate, "text": text, "path": wav}
            reply = _pool().ask(request, self.timeout)
            if "missing" in reply:
                raise SynthesisError(
                    f"pyttsx3 (espeak) has no voice {self.voice!r} for language {self.language!r}"
                )
            if "error" in reply:
                raise SynthesisError(f"pyttsx3 failed: {reply['error']}")
            pcm = to_slin(Path(wav).read_bytes(), "wav")
        finally:
            Path(wav).unlink(missing_ok=True)
        if not pcm:
            raise SynthesisError(f"pyttsx3 produced no audio for a {len(text)}-character text")
        return pcm


class _Worker:
    """One process running pyttsx3: JSON requests on its stdin, JSON replies on a pipe."""

    def __init__(self) -> None:
        reply_read, reply_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", f"from {__name__} import serve; serve({reply_write})"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                pass_fds=(reply_write,),
                env={**os.environ, "PYTHONPATH": _pythonpath()},
            )
        except BaseException:
            os.close(reply_read)
            raise
        finally:
            os.close(reply_write)
        self._replies = reply_read
        self._pending = b""

    def ask(self, request: dict[str, Any], deadline: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError as exc:
            raise SynthesisError("the pyttsx3 worker has exited") from exc
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not readable(self._replies, remaining):
                raise SynthesisError("pyttsx3 did not finish in time; its worker was stopped")
            chunk = os.read(self._replies, 65536)
            if not chunk:
                raise SynthesisError("the pyttsx3 worker has exited")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()
        os.close(self._replies)


class _WorkerPool:
    """At most ``size`` workers; a thread takes an idle one (LIFO: the warm one first), starts
    it if it is not running yet, and puts it back. A worker that failed or ran past its
    deadline is stopped and replaced by a fresh one on next use."""

    def __init__(self, size: int) -> None:
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(None)  # a slot whose worker has not been started

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise SynthesisError(f"all pyttsx3 workers stayed busy for {timeout:g} s") from None
        try:
            worker = worker or _Worker()
            return worker.ask(request, deadline)
        except BaseException:
            if worker is not None:
                worker.stop()
            worker = None
            raise
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            if worker is not None:
                worker.stop()


_POOL: _WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> _WorkerPool:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = _WorkerPool(WORKERS)
            atexit.register(_POOL.close)
        return _POOL


def _pythonpath() -> str:
    existing = os.environ.get("PYTHONPATH")
    return os.pathsep.join([_PACKAGE_ROOT, existing] if existing else [_PACKAGE_ROOT])


# -- inside the worker process -----------------------------------------------------------------
def serve(reply_fd: int) -> None:
    """The worker's loop: one JSON request a line on stdin, one JSON reply a line on
    ``reply_fd``; ends when stdin closes (the IVR stopped or died)."""
    speaker = _Speaker()
    with os.fdopen(reply_fd, "wb") as replies:
        for line in sys.stdin.buffer:
            request = json.loads(line)
            try:
                reply = speaker.save(request)
            except Exception as exc:  # reported to the caller, who raises SynthesisError
                reply = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            replies.write(json.dumps(reply).encode() + b"\n")
            replies.flush()


class _Speaker:
    """pyttsx3's espeak engine, used so that a reply means the wav is whole.

    espeak synthesizes in a thread of its own, and pyttsx3 2.99 works around it badly:
    * ``runAndWait()`` returns after *starting* the text, then one 10 ms sleep: the wav is
      written later by espeak's thread (under load: after the reply, so the IVR read an empty
      file). The end is the "finished-utterance" notification, sent after the file is written.
    * its command queue ends with ``driver.stop()``, which cancels whatever espeak is still
      doing, such as the voice change just queued; about 1 synthesis in 100 then cancelled the
      text itself and the wav came out empty. Nothing in a worker needs stopping (the IVR kills
      a worker that overruns), so ``stop()`` here waits for espeak to be idle instead.
    """

    def __init__(self) -> None:
        import pyttsx3
        from pyttsx3.drivers import _espeak

        self._espeak = _espeak
        self.engine = pyttsx3.init("espeak")
        self.engine.proxy._driver.stop = self._wait_idle
        self._finished = threading.Event()
        self.engine.connect("finished-utterance", lambda **_: self._finished.set())
        # every name a voice can be chosen by: its id ("aav/vi"), its file name ("vi") and
        # its languages. espeak quietly keeps the previous voice when asked for one it lacks.
        self.installed: set[str] = set()
        for voice in self.engine.getProperty("voices"):
            self.installed |= {voice.id, voice.id.rpartition("/")[2], *(voice.languages or ())}

    def save(self, request: dict[str, Any]) -> dict[str, Any]:
        if request["voice"] not in self.installed:
            return {"missing": request["voice"]}
        for _attempt in range(2):  # an empty wav is tried once more
            self._wait_idle()
            self._finished.clear()
            self.engine.setProperty("voice", request["voice"])
            self.engine.setProperty("rate", request["rate"])
            self.engine.save_to_file(request["text"], request["path"])
            self.engine.runAndWait()
            self._finished.wait()  # bounded by the caller's deadline: it kills this process
            with wave.open(request["path"], "rb") as saved:
                if saved.getnframes():
                    break
        return {"ok": True}

    def _wait_idle(self) -> None:
        while self._espeak.IsPlaying():  # bounded like the wait above
            time.sleep(0.001)
