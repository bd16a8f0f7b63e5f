import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import type { Batch, Box, Project, Task } from '../types';
import { currentBatch, prefetch, requestBatch } from './batchClient';
import { HelpOverlay, SkipDialog, type SkipReason } from './Dialogs';
import {
  actualSizeView,
  fitView,
  grown,
  moved,
  rounded,
  zoomAt,
  type DraftBox,
  type Size,
  type View,
} from './geometry';
import { edit, historyOf, redo, undo, type History } from './history';
import { ImageView } from './ImageView';

const palette = ['#d1003f', '#0061c2', '#007a3d', '#8f3f00', '#6f2dbd', '#a35c00', '#00737a', '#b5007f', '#4d5b00'];

type Outcome = 'labeled' | 'skipped';

let nextBoxId = 1;
function draftFrom(task: Task): DraftBox[] {
  return (task.prelabel?.boxes ?? []).map((b) => ({ ...b, id: nextBoxId++, source: 'model' as const }));
}

/** What the API stores for a draft: the model's boxes exactly as they came, the labeler's in whole pixels. */
function submittedBoxes(boxes: DraftBox[]): Box[] {
  return boxes.map((b) =>
    b.source === 'model' ? { label: b.label, x: b.x, y: b.y, width: b.width, height: b.height } : rounded(b),
  );
}

/** Keys typed into a text field belong to it; a focused checkbox or radio button (the picker) takes no text. */
function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.tagName === 'INPUT') return !['checkbox', 'radio'].includes((el as HTMLInputElement).type);
  return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
}

/** The seed's hand icon for skip, drawn here so it shows without an emoji font. */
function HandIcon() {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <path
        d="M8 11V5a1.5 1.5 0 0 1 3 0v5V3.5a1.5 1.5 0 0 1 3 0V10V5a1.5 1.5 0 0 1 3 0v6.5V8a1.5 1.5 0 0 1 3 0v6c0 4-3 7-7 7c-3 0-4.5-1.5-6-4l-2.5-4.2a1.5 1.5 0 0 1 2.5-1.6L8 13"
        fill="none"
        stroke="currentColor"
        stroke-width="1.6"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}

export function Workspace(props: { project: Project }) {
  const { project } = props;
  const detection = project.type === 'objectDetection';
  const [batch, setBatch] = useState<Batch | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [index, setIndex] = useState(0);
  const [drafts, setDrafts] = useState<Record<string, History<DraftBox[]>>>({});
  const [picks, setPicks] = useState<Record<string, string[]>>({});
  const [outcomes, setOutcomes] = useState<Record<string, Outcome>>({});
  const [refusals, setRefusals] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | undefined>(undefined);
  const [labelIndex, setLabelIndex] = useState(0);
  const [selectedId, setSelectedId] = useState<number | undefined>(undefined);
  const [view, setView] = useState<View | undefined>(undefined);
  const [canvas, setCanvas] = useState<Size | undefined>(undefined);
  const [boxesVisible, setBoxesVisible] = useState(true);
  const [dialog, setDialog] = useState<'help' | 'skip' | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [spaceHeld, setSpaceHeld] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const shownAt = useRef(Date.now());

  const loadBatch = useCallback(async () => {
    setLoading(true);
    setError(undefined);
    try {
      // POST answers with the live batch when there is one, so a reload continues where the labeler was.
      const b = await requestBatch(project.id);
      setBatch(b);
      const open = b.tasks.findIndex((t) => t.state === 'assigned');
      setIndex(Math.max(0, open));
      setOutcomes(Object.fromEntries(b.tasks.filter((t) => t.state !== 'assigned').map((t) => [t.taskId, 'labeled'])));
      setDrafts(Object.fromEntries(b.tasks.map((t) => [t.taskId, historyOf(draftFrom(t))])));
      setPicks({});
      setRefusals({});
    } catch (err) {
      setError(String((err as Error).message));
    } finally {
      setLoading(false);
    }
  }, [project.id]);

  useEffect(() => {
    void loadBatch();
  }, [loadBatch]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 10_000);
    return () => clearInterval(timer);
  }, []);

  const tasks = batch?.tasks ?? [];
  const task: Task | undefined = tasks[index];
  const image: Size | undefined = task ? { width: task.width ?? 1, height: task.height ?? 1 } : undefined;
  const history = task ? drafts[task.taskId] : undefined;
  const boxes = history?.present ?? [];
  const label = project.labels[labelIndex]?.name ?? project.labels[0]!.name;

  // A new image: fit it, start its clock, fetch the next few.
  useEffect(() => {
    shownAt.current = Date.now();
    setSelectedId(undefined);
    if (canvas && image) setView(fitView(canvas, image));
    prefetch(tasks.slice(index + 1, index + 4));
  }, [task?.taskId, canvas?.width, canvas?.height]);

  const colorOf = useCallback(
    (name: string) =>
      palette[
        Math.max(
          0,
          project.labels.findIndex((l) => l.name === name),
        ) % palette.length
      ]!,
    [project.labels],
  );

  const commit = (next: DraftBox[], selected: number | undefined) => {
    if (!task) return;
    let sel = selected;
    const numbered = next.map((b) => {
      if (b.id !== -1) return b;
      const id = nextBoxId++;
      sel = id;
      return { ...b, id };
    });
    setDrafts((d) => ({ ...d, [task.taskId]: edit(d[task.taskId] ?? historyOf([]), numbered) }));
    setSelectedId(sel);
  };

  const selected = boxes.find((b) => b.id === selectedId);
  const replaceSelected = (b: DraftBox) =>
    commit(
      boxes.map((x) => (x.id === b.id ? b : x)),
      b.id,
    );

  const goTo = (i: number) => {
    if (i >= 0 && i < tasks.length) setIndex(i);
  };
  const goToNextOpen = (done: Record<string, Outcome>) => {
    const after = tasks.findIndex((t, i) => i > index && !done[t.taskId]);
    const any = after >= 0 ? after : tasks.findIndex((t) => !done[t.taskId]);
    if (any >= 0) setIndex(any);
  };

  const refreshLease = () => {
    void currentBatch(project.id)
      .then(
        (b) =>
          b &&
          setBatch((old) => (old && old.batchId === b.batchId ? { ...old, leaseExpiresAt: b.leaseExpiresAt } : old)),
      )
      .catch(() => undefined);
  };

  const finish = async (t: Task, request: () => Promise<unknown>, outcome: Outcome) => {
    if (busy) return;
    setBusy(true);
    try {
      await request();
      const done = { ...outcomes, [t.taskId]: outcome };
      setOutcomes(done);
      setRefusals(({ [t.taskId]: _gone, ...rest }) => rest);
      goToNextOpen(done);
      refreshLease();
    } catch (err) {
      // The submission stays on screen, with the server's reason, for the labeler to fix or keep.
      setRefusals((r) => ({ ...r, [t.taskId]: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  const secondsOnTask = () => Math.min(86_400, Math.round((Date.now() - shownAt.current) / 100) / 10);
  const annotationPath = (t: Task) => `${projectPath(project.id)}/tasks/${encodeURIComponent(t.taskId)}/annotation`;

  const submit = () => {
    if (!task || outcomes[task.taskId]) return;
    const body = detection
      ? { boxes: submittedBoxes(boxes), secondsOnTask: secondsOnTask() }
      : { labels: picks[task.taskId] ?? [], secondsOnTask: secondsOnTask() };
    void finish(task, () => api('PUT', annotationPath(task), { body }), 'labeled');
  };

  const acceptPrelabel = () => {
    if (!task || !task.prelabel?.boxes || outcomes[task.taskId]) return;
    const prelabeled = submittedBoxes(draftFrom(task));
    void finish(
      task,
      () => api('PUT', annotationPath(task), { body: { boxes: prelabeled, secondsOnTask: secondsOnTask() } }),
      'labeled',
    );
  };

  const skip = (reason: SkipReason) => {
    setDialog(undefined);
    if (!task || outcomes[task.taskId]) return;
    const path = `${projectPath(project.id)}/tasks/${encodeURIComponent(task.taskId)}/skip`;
    void finish(task, () => api('POST', path, { body: { reason } }), 'skipped');
  };

  const togglePick = (name: string) => {
    if (!task) return;
    setPicks((p) => {
      const current = p[task.taskId] ?? [];
      if (project.type === 'imageClassification') return { ...p, [task.taskId]: [name] };
      const next = current.includes(name) ? current.filter((n) => n !== name) : [...current, name];
      return { ...p, [task.taskId]: next };
    });
  };

  const chooseLabel = (i: number) => {
    const l = project.labels[i];
    if (!l) return;
    setLabelIndex(i);
    if (!detection) togglePick(l.name);
    else if (selected) replaceSelected({ ...selected, label: l.name, source: 'human' });
  };

  const newBoxInView = () => {
    if (!image || !view || !canvas) return;
    const w = Math.max(2, Math.round(image.width / 4));
    const h = Math.max(2, Math.round(image.height / 4));
    const cx = (canvas.width / 2 - view.tx) / view.scale;
    const cy = (canvas.height / 2 - view.ty) / view.scale;
    const box = moved(
      {
        id: -1,
        source: 'human' as const,
        label,
        x: Math.round(cx - w / 2),
        y: Math.round(cy - h / 2),
        width: w,
        height: h,
      },
      0,
      0,
      image,
    );
    commit([...boxes, box], -1);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (dialog || isTyping(e.target)) return;
    const key = e.key;
    const ctrl = e.ctrlKey || e.metaKey;
    const step = e.shiftKey ? 10 : 1;
    const handled = () => e.preventDefault();
    if (key === ' ') {
      // Space+drag pans the image; without one, Space keeps its native job (toggling the focused checkbox).
      if (!detection) return;
      setSpaceHeld(true);
      return handled();
    }
    if (ctrl && (key === 'z' || key === 'Z') && task) {
      setDrafts((d) => ({ ...d, [task.taskId]: (e.shiftKey ? redo : undo)(d[task.taskId]!) }));
      return handled();
    }
    if (ctrl && key === 'y' && task) {
      setDrafts((d) => ({ ...d, [task.taskId]: redo(d[task.taskId]!) }));
      return handled();
    }
    if (ctrl || (e.altKey && !key.startsWith('Arrow'))) return;
    if (key.startsWith('Arrow') && selected && image) {
      const dx = key === 'ArrowLeft' ? -step : key === 'ArrowRight' ? step : 0;
      const dy = key === 'ArrowUp' ? -step : key === 'ArrowDown' ? step : 0;
      const next = e.altKey ? grown(selected, dx, dy, image) : moved(selected, dx, dy, image);
      replaceSelected({ ...next, source: 'human' });
      return handled();
    }
    if (/^[1-9]$/.test(key)) {
      chooseLabel(Number(key) - 1);
      return handled();
    }
    switch (key) {
      case 'Enter':
        submit();
        return handled();
      case 'a':
      case 'A':
        acceptPrelabel();
        return handled();
      case 's':
      case 'S':
        if (task && !outcomes[task.taskId]) setDialog('skip');
        return handled();
      case 'n':
      case 'N':
        goTo(index + 1);
        return handled();
      case 'p':
      case 'P':
        goTo(index - 1);
        return handled();
      case 'b':
      case 'B':
        if (detection) newBoxInView();
        return handled();
      case 'e':
      case 'E': {
        if (!boxes.length) return handled();
        const at = boxes.findIndex((b) => b.id === selectedId);
        const next = e.shiftKey ? (at <= 0 ? boxes.length - 1 : at - 1) : (at + 1) % boxes.length;
        setSelectedId(boxes[next]!.id);
        return handled();
      }
      case 'Delete':
      case 'Backspace':
        if (selected)
          commit(
            boxes.filter((b) => b.id !== selected.id),
            undefined,
          );
        return handled();
      case 'Escape':
        setSelectedId(undefined);
        return handled();
      case 'h':
      case 'H':
        setBoxesVisible((v) => !v);
        return handled();
      case 'f':
      case 'F':
        if (canvas && image) setView(fitView(canvas, image));
        return handled();
      case 'o':
      case 'O':
        if (canvas && image) setView(actualSizeView(canvas, image));
        return handled();
      case '+':
      case '=':
        if (view && canvas) setView(zoomAt(view, 1.25, canvas.width / 2, canvas.height / 2));
        return handled();
      case '-':
        if (view && canvas) setView(zoomAt(view, 0.8, canvas.width / 2, canvas.height / 2));
        return handled();
      case '?':
        setDialog('help');
        return handled();
    }
  };

  // The listener is registered once and calls the handler of the latest render: effects run only after paint, so a
  // listener re-registered by an effect would see stale boxes when keys come faster than frames.
  const keyHandler = useRef(onKeyDown);
  keyHandler.current = onKeyDown;
  useEffect(() => {
    const down = (e: KeyboardEvent) => keyHandler.current(e);
    const up = (e: KeyboardEvent) => e.key === ' ' && setSpaceHeld(false);
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, []);

  if (loading) return <p role="status">Asking for a batch of images…</p>;
  if (error) {
    return (
      <div class="panel">
        <p role="alert">Could not get a batch: {error}</p>
        <button type="button" onClick={() => void loadBatch()}>
          Try again
        </button>
      </div>
    );
  }
  if (!batch || tasks.length === 0) {
    return (
      <div class="panel">
        <p role="status">{batch?.reason ?? 'Nothing to label right now.'}</p>
        <button type="button" onClick={() => void loadBatch()}>
          Ask again
        </button>
      </div>
    );
  }

  const leaseMs = Date.parse(batch.leaseExpiresAt) - now;
  const expired = leaseMs <= 0;
  const doneCount = tasks.filter((t) => outcomes[t.taskId]).length;
  const allDone = doneCount === tasks.length;
  const outcome = task ? outcomes[task.taskId] : undefined;
  const refusal = task ? refusals[task.taskId] : undefined;
  const prelabeled = !!task?.prelabel?.boxes;

  return (
    <div class="workspace">
      <aside class="tools" aria-label="Labels">
        <h2>Labels</h2>
        {detection ? (
          <ol class="labels">
            {project.labels.map((l, i) => (
              <li key={l.name}>
                <button
                  type="button"
                  class={i === labelIndex ? 'label current' : 'label'}
                  aria-pressed={i === labelIndex}
                  style={{ borderLeftColor: colorOf(l.name) }}
                  onClick={() => chooseLabel(i)}
                >
                  {i < 9 && <kbd>{i + 1}</kbd>} {l.name}
                </button>
              </li>
            ))}
          </ol>
        ) : (
          <fieldset class="picker">
            <legend>
              {project.type === 'imageClassification' ? 'Choose one label' : 'Choose every label that applies'}
            </legend>
            {project.labels.map((l, i) => (
              <label key={l.name} class="pick">
                <input
                  type={project.type === 'imageClassification' ? 'radio' : 'checkbox'}
                  name="pick"
                  checked={(task && picks[task.taskId]?.includes(l.name)) ?? false}
                  onChange={() => togglePick(l.name)}
                />
                {i < 9 && <kbd>{i + 1}</kbd>} {l.name}
              </label>
            ))}
          </fieldset>
        )}
        {detection && (
          <div class="view-tools">
            <button type="button" onClick={() => canvas && image && setView(fitView(canvas, image))}>
              Fit <kbd>F</kbd>
            </button>
            <button type="button" onClick={() => canvas && image && setView(actualSizeView(canvas, image))}>
              100 % <kbd>O</kbd>
            </button>
            <button type="button" aria-pressed={!boxesVisible} onClick={() => setBoxesVisible((v) => !v)}>
              {boxesVisible ? 'Hide boxes' : 'Show boxes'} <kbd>H</kbd>
            </button>
          </div>
        )}
        <button type="button" class="help" onClick={() => setDialog('help')}>
          Shortcuts <kbd>?</kbd>
        </button>
      </aside>

      <section class="stage" aria-label="Image">
        {task && image && detection && (
          <ImageView
            imageUrl={task.imageUrl}
            image={image}
            boxes={boxes}
            selectedId={selectedId}
            boxesVisible={boxesVisible}
            colorOf={colorOf}
            view={view}
            onView={setView}
            onCanvasSize={setCanvas}
            onSelect={setSelectedId}
            onCommit={commit}
            newBox={(rect) => ({ ...rect, id: -1, label, source: 'human' })}
            spaceHeld={spaceHeld}
          />
        )}
        {task && !detection && <img class="classify" src={task.imageUrl} alt={`Image ${index + 1} of the batch`} />}
      </section>

      <aside class="side" aria-label="Task">
        <p class="progress" role="status">
          Image {index + 1} of {tasks.length} · {doneCount} done
        </p>
        {prelabeled && (
          <p class="badge prelabeled">
            Task prelabeled — <kbd>A</kbd> accepts the model’s boxes
          </p>
        )}
        <p class={expired ? 'lease expired' : 'lease'}>
          {expired
            ? 'Your batch’s lease ran out: images you have not submitted may have gone back to the pool.'
            : `Lease: ${Math.max(1, Math.round(leaseMs / 60_000))} min left`}
        </p>
        {outcome && <p class="outcome">This image is {outcome}.</p>}
        {refusal && (
          <div class="refusal" role="alert">
            <strong>Not saved.</strong> {refusal}
          </div>
        )}
        <div class="actions">
          <button type="button" class="primary" disabled={!!outcome || busy} onClick={submit}>
            Submit <kbd>Enter</kbd>
          </button>
          <button type="button" disabled={!!outcome || busy} onClick={() => setDialog('skip')}>
            <HandIcon /> Skip <kbd>S</kbd>
          </button>
          <button type="button" disabled={index === 0} onClick={() => goTo(index - 1)}>
            Previous <kbd>P</kbd>
          </button>
          <button type="button" disabled={index >= tasks.length - 1} onClick={() => goTo(index + 1)}>
            Next <kbd>N</kbd>
          </button>
        </div>
        {(allDone || expired) && (
          <button type="button" class="primary" onClick={() => void loadBatch()}>
            {allDone ? 'Batch finished: get the next batch' : 'Get a new batch'}
          </button>
        )}
        <h2>Instructions</h2>
        <p class="instructions">{project.instructions || 'No instructions for this project.'}</p>
      </aside>

      {dialog === 'help' && <HelpOverlay onClose={() => setDialog(undefined)} />}
      {dialog === 'skip' && <SkipDialog onSkip={skip} onClose={() => setDialog(undefined)} />}
    </div>
  );
}
