"""The log pane and screen over real files followed by a real LogFollower.

What an operator does: watch the tail, scroll up to read (the tail pauses and counts
new lines), End to resume; filter, search, switch files, save what is shown, and jump
from a line to the call or registration it names.
"""

from __future__ import annotations

from pathlib import Path

from host_fixtures import SECURE_LINES, follower, host_app, write_logs
from ui_fakes import pilot_test, screen_text, wait_until

from vostui.ui.call_screen import CallScreen
from vostui.ui.dashboard import DashboardScreen
from vostui.ui.log_screen import ConfirmScreen, LogScreen
from vostui.ui.logs_pane import LogsPane, LogView
from vostui.ui.registration_screen import RegistrationScreen


def append(path: Path, lines: list[str]) -> None:
    with path.open("a") as handle:
        handle.write("".join(line + "\n" for line in lines))


def numbered(start: int, count: int) -> list[str]:
    return [
        f"[2023-11-14 22:{20 + n // 60}:{n % 60:02d}.000] [INFO ] [Test] line {n:03d}"
        for n in range(start, start + count)
    ]


def pane_title(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(LogsPane).border_title)


@pilot_test
async def test_tail_follows_pauses_with_new_count_and_end_resumes(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("".join(line + "\n" for line in numbered(1, 50)))
    logs = follower([log])
    app = host_app(logs=logs)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        assert await wait_until(pilot, lambda: "line 050" in screen_text(app))
        append(log, numbered(51, 3))
        assert await wait_until(pilot, lambda: "line 053" in screen_text(app))  # following
        await pilot.press("up", "up", "up")
        await pilot.pause()
        assert "paused +0 new" in pane_title(app)
        shown = screen_text(app)
        append(log, numbered(54, 5))
        assert await wait_until(pilot, lambda: "paused +5 new" in pane_title(app))
        text = screen_text(app)
        assert "line 058" not in text  # the reader's place is kept
        # the same lines where they were (the scroll bar beside them moved)
        assert [line[:60] for line in text.splitlines() if "line 0" in line] == [
            line[:60] for line in shown.splitlines() if "line 0" in line
        ]
        await pilot.press("end")
        await pilot.pause()
        text = screen_text(app)
        assert "line 058" in text and "paused" not in pane_title(app)
        append(log, numbered(59, 2))
        assert await wait_until(pilot, lambda: "line 060" in screen_text(app))
        # moving down to the last line resumes too
        await pilot.press("up", "down")
        await pilot.pause()
        assert app.screen.query_one("#logs-view", LogView).following
        await pilot.press("q")
    assert not logs.running


@pilot_test
async def test_filter_by_level_file_ip_callid_and_bad_regex(tmp_path: Path) -> None:
    paths = write_logs(tmp_path)
    app = host_app(logs=follower(paths.values(), fixed_clock=True))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("L")
        assert await wait_until(pilot, lambda: "send 200 OK" in screen_text(app))
        screen = app.screen
        assert isinstance(screen, LogScreen)

        async def filtered(text: str) -> str:
            await pilot.press("slash", "ctrl+u", *text, "enter")
            await pilot.pause()
            return screen_text(app)

        text = await filtered("level>=warning")
        assert "[WARN ]" in text and "[ERROR]" in text and "Failed password" in text
        assert "Accepted publickey" not in text and "recv INVITE" not in text
        assert "filter level>=warning" in text
        text = await filtered("file=secure")
        assert "Failed password" in text and "Accepted publickey" in text and "[INFO ]" not in text
        text = await filtered("ip=198.51.100.0/24")
        assert "Failed password" in text and "Accepted" not in text
        text = await filtered("callid=a-15")
        assert "recv INVITE from 10.0.1.1" in text and "route to gateway vendor-1" in text
        assert "[WARN ]" not in text
        text = await filtered("gateway vendor")  # plain words, all must appear
        assert "vendor-1" in text and "vendor-2" in text and "recv INVITE" not in text
        text = await filtered("re:[unclosed")
        assert "bad regular expression" in text and app.is_running
        assert app.screen.query_one("#log-filter").has_focus  # still open, to correct it
        await pilot.press("escape")  # closes the field; the last filter that parsed stays
        await pilot.pause()
        assert isinstance(app.screen, LogScreen) and app.screen.model.narrowed
        text = await filtered("")
        assert "Accepted publickey" in text and "recv INVITE" in text


@pilot_test
async def test_search_highlights_and_n_goes_to_next_and_previous(tmp_path: Path) -> None:
    paths = write_logs(tmp_path)
    app = host_app(logs=follower(paths.values()))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("L")
        assert await wait_until(pilot, lambda: "send 200 OK" in screen_text(app))
        view = app.screen.query_one("#log-view", LogView)
        await pilot.press("home", "f3", *"callid=a-", "enter")
        await pilot.pause()
        first = view.current
        assert first is not None and "callid=a-15" in first.text
        assert not view.following
        assert view.search is not None and view.search.spans(first.text)
        await pilot.press("n")
        second = view.current
        assert second is not None and second.seq != first.seq and "callid=a-" in second.text
        await pilot.press("n", "n")
        assert view.current is not None and "callid=a-39" in view.current.text
        await pilot.press("n")  # wraps to the first
        assert view.current is not None and view.current.seq == first.seq
        await pilot.press("N")  # back to the last
        assert view.current is not None and "callid=a-39" in view.current.text
        assert "search callid=a-" in screen_text(app)


@pilot_test
async def test_merged_view_and_one_file_at_a_time(tmp_path: Path) -> None:
    paths = write_logs(tmp_path)
    app = host_app(logs=follower(paths.values()))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("L")
        assert await wait_until(pilot, lambda: "send 200 OK" in screen_text(app))
        view = app.screen.query_one("#log-view", LogView)
        stamps = [line.ts for line in view.lines]
        assert stamps == sorted(stamps) and {line.file for line in view.lines} == {
            str(p) for p in paths.values()
        }
        seen: list[set[str]] = []
        for _ in range(2):
            await pilot.press("m")
            await pilot.pause()
            seen.append({line.file for line in view.lines})
        assert sorted(seen, key=sorted) == sorted(
            [{str(paths["secure"])}, {str(paths["sipproxy"])}], key=sorted
        )
        assert "file " in screen_text(app)
        await pilot.press("m")
        await pilot.pause()
        assert len({line.file for line in view.lines}) == 2
        assert "all files by time" in screen_text(app)


@pilot_test
async def test_save_shown_lines_and_ask_before_overwriting(tmp_path: Path) -> None:
    paths = write_logs(tmp_path / "logs")
    out = tmp_path / "out"
    out.mkdir()
    app = host_app(logs=follower(paths.values(), fixed_clock=True), export_dir=str(out))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("L")
        assert await wait_until(pilot, lambda: "send 200 OK" in screen_text(app))
        await pilot.press("slash", *"file=secure", "enter")
        await pilot.pause()
        target = out / "secure.log"
        await pilot.press("s", "ctrl+u", *target.name, "enter")  # a bare name: the export folder
        assert await wait_until(pilot, target.exists)
        assert target.read_text().splitlines() == [
            f"{paths['secure']}: {line}" for line in SECURE_LINES
        ]
        before = target.read_text()
        # the same name again: asked, and "n" keeps the file
        await pilot.press("slash", "ctrl+u", *"level>=error", "enter")
        await pilot.press("s", "ctrl+u", *target.name, "enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, LogScreen) and target.read_text() == before
        # and "y" replaces it with the lines shown now
        await pilot.press("s", "ctrl+u", *target.name, "enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        assert await wait_until(pilot, lambda: target.read_text() != before)
        (line,) = target.read_text().splitlines()
        assert "[ERROR] [Register] REGISTER user=102" in line
        # a folder that does not exist: said on screen, nothing raised
        await pilot.press("s", "ctrl+u", *"no/x.log", "enter")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, LogScreen)


@pilot_test
async def test_enter_on_a_line_opens_the_call_or_registration_it_names(tmp_path: Path) -> None:
    paths = write_logs(tmp_path)
    app = host_app(logs=follower(paths.values()))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("L")
        assert await wait_until(pilot, lambda: "send 200 OK" in screen_text(app))
        screen = app.screen
        view = screen.query_one("#log-view", LogView)

        async def enter_on(fragment: str) -> None:
            index = next(n for n, line in enumerate(view.lines) if fragment in line.text)
            view.go_to(index)
            await pilot.press("enter")
            await pilot.pause()

        await enter_on("recv INVITE from 10.0.1.1")  # callid=a-15@cust: the engine has it
        assert isinstance(app.screen, CallScreen) and app.screen.key == "a-15@cust"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await enter_on("REGISTER user=102")  # no such call; its source registered
        assert isinstance(app.screen, RegistrationScreen)
        assert app.screen.key.startswith("102@pbx.example")
        await pilot.press("escape")
        await pilot.pause()
        await enter_on("Accepted publickey")  # names nothing the engine knows
        assert app.screen is screen


@pilot_test
async def test_logs_of_a_call_from_the_call_screen(tmp_path: Path) -> None:
    paths = write_logs(tmp_path)
    app = host_app(logs=follower(paths.values()))
    async with app.run_test(size=(160, 40)) as pilot:
        assert await wait_until(pilot, lambda: "send 200 OK" in screen_text(app))
        assert app.screen.query_one("#calls-table").select_key("a-15@cust")
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, CallScreen))
        call = app.screen.call
        assert call is not None
        await pilot.press("g")  # logs of this call
        assert await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.pause()
        view = app.screen.query_one("#log-view", LogView)
        assert [line.text.split("] ", 3)[-1][:30] for line in view.lines] == [
            "recv INVITE from 10.0.1.1:5060",
            "route to gateway vendor-1 (10.",
        ]
        assert "logs of call 1000015 → 44200000015" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)
        # the app-level entry point, for other screens
        app.show_logs_for(call_ids=["a-39@cust"], label="call a-39")
        await pilot.pause()
        view = app.screen.query_one("#log-view", LogView)
        assert len(view.lines) == 1 and "callid=a-39@cust" in view.lines[0].text
        await pilot.press("x")  # clears the call filter
        await pilot.pause()
        assert len(view.lines) == 7


@pilot_test
async def test_l_after_g_shows_every_line_not_the_last_calls(tmp_path: Path) -> None:
    paths = write_logs(tmp_path)
    app = host_app(logs=follower(paths.values()))
    async with app.run_test(size=(160, 40)) as pilot:
        assert await wait_until(pilot, lambda: "send 200 OK" in screen_text(app))
        assert app.screen.query_one("#calls-table").select_key("a-15@cust")
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, CallScreen))
        await pilot.press("g")
        assert await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.pause()
        view = app.screen.query_one("#log-view", LogView)
        assert len(view.lines) == 2
        await pilot.press("slash", *"level>=info", "enter")  # the operator's own filter
        await pilot.pause()
        await pilot.press("q", "q")  # back to the call, back to the dashboard
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("L")
        assert await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.pause()
        text = screen_text(app)
        assert "logs of call" not in text
        assert "filter level>=info" in text  # what the operator typed stays
        shown = [line.text for line in app.screen.query_one("#log-view", LogView).lines]
        assert len(shown) > 2 and any("callid=a-39@cust" in line for line in shown)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("6", "enter")  # the logs pane's Enter opens it the same way
        assert await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.pause()
        assert "logs of call" not in screen_text(app)


MARKUP_QUIT = "[@click=app.quit]x[/]"
BOLD = "[bold red]not bold[/bold red]"


@pilot_test
async def test_hostile_lines_in_a_followed_file_are_shown_literally(tmp_path: Path) -> None:
    log = tmp_path / "sipproxy.log"
    log.write_text("")
    logs = follower([log])
    app = host_app(logs=logs)
    async with app.run_test(size=(200, 50)) as pilot:
        assert await wait_until(pilot, lambda: logs.polls > 2)
        await pilot.press("6", "z")  # the log pane, full width
        with log.open("ab") as handle:
            handle.write(f"User-Agent: {MARKUP_QUIT} {BOLD}\n".encode())
            handle.write(b"escape \x1b[2J\x1b]0;owned\x07 nul \x00 c1 \xc2\x9b31m end\n")
            handle.write(b"bad utf8 \xff\xfe here\n")
            handle.write(b"huge " + b"A" * (1024 * 1024) + b" tail\n")
            handle.write(b"last line\n")
        assert await wait_until(pilot, lambda: "last line" in screen_text(app))
        text = screen_text(app)
        assert MARKUP_QUIT in text and BOLD in text
        assert "\\x1b[2J" in text and "\x1b" not in text and "\x9b" not in text
        assert "\x00" not in text and "bad utf8" in text and "huge AAAA" in text
        # clicking the would-be quit link only moves the cursor
        rows = text.splitlines()
        row = next(n for n, line in enumerate(rows) if MARKUP_QUIT in line)
        await pilot.click(offset=(rows[row].index(MARKUP_QUIT) + 2, row))
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, DashboardScreen)
        await pilot.press("z", "L")
        assert await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        view = app.screen.query_one("#log-view", LogView)
        index = next(n for n, line in enumerate(view.lines) if line.text.startswith("huge"))
        view.go_to(index)
        await pilot.pause()
        text = screen_text(app)
        assert "[cut " in text  # the cap is said, in the line's detail
        assert app.is_running


@pilot_test
async def test_missing_and_unreadable_files_say_why_and_the_fix(tmp_path: Path) -> None:
    folder = tmp_path / "logdir"
    folder.mkdir()
    logs = follower([tmp_path / "missing.log", folder])
    app = host_app(logs=logs)
    async with app.run_test(size=(200, 50)) as pilot:
        assert await wait_until(pilot, lambda: "missing.log" in screen_text(app))
        text = screen_text(app)
        assert "missing" in text and "fix: check the path in log_files" in text
        assert "unreadable is a directory" in text and "fix: follow the files in it" in text
        await pilot.press("L")
        assert await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.pause()
        assert "fix: check the path in log_files" in screen_text(app)


@pilot_test
async def test_hang_up_stops_the_follower_and_the_monitor(tmp_path: Path) -> None:
    from host_fixtures import recorded_monitor

    log = tmp_path / "a.log"
    log.write_text("one\n")
    logs = follower([log])
    monitor = recorded_monitor()
    app = host_app(logs=logs, monitor=monitor)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await wait_until(pilot, lambda: logs.running)
        app._hang_up()  # what SIGHUP and a vanished terminal do
        await pilot.pause()
    assert app.return_code == 129
    assert not logs.running
    assert not any(w.thread is not None and w.thread.is_alive() for w in monitor._workers.values())
