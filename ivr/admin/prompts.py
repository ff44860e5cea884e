"""Prompts: every text the flows say, per language, with a player for what callers hear; a
human recording can replace a text's TTS audio (admins), and TTS can be rendered again."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ivr.admin.auth import admin, viewer
from ivr.admin.context import AdminContext, admin_of
from ivr.admin.pages import render
from ivr.admin.users import User
from ivr.tts import SynthesisError
from ivr.tts.recordings import (
    MAX_BYTES,
    RecordingError,
    Recordings,
    as_wav,
    check_language,
    find_prompt,
    overview,
    prompt_texts,
    rerender,
)

router = APIRouter()


def recordings_of(context: AdminContext) -> Recordings:
    prompts = context.services.prompts
    directory = prompts.recordings_dir or context.settings.data_dir / "prompt_recordings"
    return Recordings(context.database, directory, lambda: context.services.clock())


@router.get("/admin/prompts")
def prompts_page(request: Request, user: User = Depends(viewer)) -> Response:  # noqa: B008
    return _page(request)


def _page(request: Request, error: str = "", status: int = 200, done: str = "") -> Response:
    context = admin_of(request)
    flows = list(context.services.flows.current())
    rows = overview(flows, context.services.prompts, recordings_of(context))
    languages = list(dict.fromkeys(lang for flow in flows for lang in flow.languages))
    by_language = {lang: [r for r in rows if r.language == lang] for lang in languages}
    return render(
        request,
        "prompts.html",
        status,
        by_language=by_language,
        error=error,
        done=done,
        max_mb=MAX_BYTES // 1048576,
    )


@router.get("/admin/prompts/audio")
def prompt_audio(
    request: Request,
    language: str,
    text: str,
    source: str = "heard",
    user: User = Depends(viewer),  # noqa: B008
) -> Response:
    """What callers hear for ``text`` (its recording, else TTS), or ``source=tts``, as WAV."""
    context = admin_of(request)
    try:
        find_prompt(context.services.flows.current(), language, text)
    except RecordingError as exc:
        raise HTTPException(404, str(exc)) from exc
    prompts = context.services.prompts
    try:
        pcm = (
            prompts.synthesized(text, language)
            if source == "tts"
            else prompts.audio(text, language)
        )
    except SynthesisError as exc:
        raise HTTPException(503, f"The {language} voice could not speak this text: {exc}") from exc
    return Response(as_wav(pcm), media_type="audio/wav", headers={"cache-control": "no-store"})


@router.post("/admin/prompts/upload")
async def upload(request: Request, user: User = Depends(admin)) -> Response:  # noqa: B008
    form = await request.form()
    language, text = str(form.get("language") or ""), str(form.get("text") or "")
    upload = form.get("file")
    context = admin_of(request)
    try:
        find_prompt(context.services.flows.current(), language, text)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise RecordingError("Choose a recording file to upload.")
        data = await upload.read(MAX_BYTES + 1)
        seconds = await run_in_threadpool(
            recordings_of(context).add, language, text, data, upload.filename, user.username
        )
    except RecordingError as exc:
        return await run_in_threadpool(_page, request, f"{_short(text)}: {exc}", 422)
    detail = f"{seconds:.1f} s from {upload.filename}"
    await run_in_threadpool(
        context.users.audit, user.username, "prompt-upload", f"{language}: {_short(text)}", detail
    )
    return await run_in_threadpool(
        _back, request, f"Recording saved ({seconds:.1f} s); callers hear it from the next prompt."
    )


@router.post("/admin/prompts/remove")
async def remove(request: Request, user: User = Depends(admin)) -> Response:  # noqa: B008
    form = await request.form()
    language, text = str(form.get("language") or ""), str(form.get("text") or "")
    context = admin_of(request)
    try:
        check_language(context.services.flows.current(), language)
    except RecordingError as exc:
        return await run_in_threadpool(_page, request, str(exc), 422)
    removed = await run_in_threadpool(recordings_of(context).remove, language, text)
    if not removed:
        raise HTTPException(404, "This text has no recording to remove.")
    await run_in_threadpool(
        context.users.audit, user.username, "prompt-remove", f"{language}: {_short(text)}", ""
    )
    return await run_in_threadpool(
        _back, request, "Recording removed: callers hear the TTS voice again."
    )


@router.post("/admin/prompts/rerender")
async def rerender_prompts(request: Request, user: User = Depends(admin)) -> Response:  # noqa: B008
    """Render one text again, or (no text) every text of the language."""
    form = await request.form()
    language, text = str(form.get("language") or ""), str(form.get("text") or "")
    context = admin_of(request)
    flows = context.services.flows.current()
    try:
        if text:
            texts = [(language, find_prompt(flows, language, text).text)]
        else:
            check_language(flows, language)
            texts = [(p.language, p.text) for p in prompt_texts(flows) if p.language == language]
        count, seconds = await run_in_threadpool(rerender, context.services.prompts, texts)
    except RecordingError as exc:
        return await run_in_threadpool(_page, request, str(exc), 422)
    except SynthesisError as exc:
        return await run_in_threadpool(_page, request, f"The {language} voice failed: {exc}", 503)
    subject = f"{language}: {_short(text)}" if text else f"{language}: all texts"
    await run_in_threadpool(
        context.users.audit, user.username, "prompt-rerender", subject, f"{count} texts"
    )
    return await run_in_threadpool(
        _back, request, f"Rendered {count} {language} text(s) again in {seconds:.1f} s."
    )


def _back(request: Request, done: str) -> Response:
    """The page again with what was done (rendered here, not in a redirect's query string,
    so no link can make the page say something else)."""
    return _page(request, done=done)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
