import { memo } from 'preact/compat';
import { useEffect, useRef, useState } from 'preact/hooks';
import { moved, resized, spanned, toImage, zoomAt, type DraftBox, type Handle, type Size, type View } from './geometry';

export interface ImageViewProps {
  imageUrl: string;
  image: Size;
  boxes: DraftBox[];
  selectedId: number | undefined;
  boxesVisible: boolean;
  colorOf: (label: string) => string;
  view: View | undefined;
  onView: (view: View) => void;
  /** The canvas' size in screen pixels, whenever it changes (the parent fits the image to it). */
  onCanvasSize: (size: Size) => void;
  onSelect: (id: number | undefined) => void;
  /** A finished gesture: a drawn box (id -1 until the parent numbers it), a move or a resize. */
  onCommit: (boxes: DraftBox[], selectedId: number | undefined) => void;
  newBox: (rect: { x: number; y: number; width: number; height: number }) => DraftBox;
  spaceHeld: boolean;
}

type Drag =
  | { kind: 'pan'; startX: number; startY: number; view: View }
  | { kind: 'draw'; from: { x: number; y: number } }
  | { kind: 'move'; id: number; from: { x: number; y: number }; original: DraftBox }
  | { kind: 'resize'; id: number; handle: Handle; original: DraftBox };

/** Smaller than this (image pixels, either side) a drag is a click, not a box. */
const minBoxSide = 2;

/**
 * The image and its boxes in one SVG. Zoom and pan are a single transform on the group holding both (BoxLayer is
 * memoised on everything but the translation). A pan drag leaves that transform alone while it lasts: once an
 * animation frame it moves the layer holding the <svg> (`will-change: transform` in styles.css) by a CSS translation,
 * with no component rendered, and hands the view to the parent when the drag ends. Chromium repaints every shape of
 * an SVG whose inner transform changes (~80 ms a frame for 2,000 dashed, labelled boxes: bench/web.mjs), while a
 * layer's translation needs no paint; the label texts still hide during the drag (`.dragging`), because their glyphs
 * alone made each frame's layerization (done even for a bare translation) cost ~10 ms.
 */
export function ImageView(props: ImageViewProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  const layerRef = useRef<HTMLDivElement>(null);
  const drag = useRef<Drag | undefined>(undefined);
  const [preview, setPreview] = useState<DraftBox[] | undefined>(undefined);
  /** The pan drag's offset so far (screen pixels) and the animation frame that will show it, if one is pending. */
  const panOffset = useRef({ dx: 0, dy: 0 });
  const panFrame = useRef<number | undefined>(undefined);
  const { view, image } = props;

  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const observer = new ResizeObserver(() => {
      const r = svg.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) props.onCanvasSize({ width: r.width, height: r.height });
    });
    observer.observe(svg);
    return () => observer.disconnect();
  }, []);

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const svg = svgRef.current;
    if (!svg || !view) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      // Mid-pan the canvas is shifted and `view` is the one from before the drag: zoom again once it has ended.
      if (drag.current?.kind === 'pan') return;
      const r = svg.getBoundingClientRect();
      props.onView(zoomAt(view, Math.exp(-e.deltaY / 500), e.clientX - r.left, e.clientY - r.top));
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => svg.removeEventListener('wheel', onWheel);
  }, [view, props.onView]);

  const local = (e: PointerEvent) => {
    const r = svgRef.current!.getBoundingClientRect();
    return { sx: e.clientX - r.left, sy: e.clientY - r.top };
  };
  const imagePoint = (e: PointerEvent) => {
    const { sx, sy } = local(e);
    return toImage(view!, sx, sy);
  };

  const onPointerDown = (e: PointerEvent) => {
    if (!view) return;
    const target = e.target as Element;
    svgRef.current!.setPointerCapture(e.pointerId);
    if (e.button === 1 || props.spaceHeld) {
      drag.current = { kind: 'pan', startX: e.clientX, startY: e.clientY, view };
      panOffset.current = { dx: 0, dy: 0 };
      layerRef.current!.classList.add('dragging');
      e.preventDefault();
      return;
    }
    if (e.button !== 0) return;
    const handle = target.getAttribute('data-handle') as Handle | null;
    const boxId = target.getAttribute('data-box-id');
    if (handle && props.selectedId !== undefined) {
      const original = props.boxes.find((b) => b.id === props.selectedId);
      if (original) drag.current = { kind: 'resize', id: original.id, handle, original };
    } else if (boxId !== null && props.boxesVisible) {
      const original = props.boxes.find((b) => b.id === Number(boxId));
      if (original) {
        props.onSelect(original.id);
        drag.current = { kind: 'move', id: original.id, from: imagePoint(e), original };
      }
    } else {
      drag.current = { kind: 'draw', from: imagePoint(e) };
    }
    e.preventDefault();
  };

  const gestureBoxes = (e: PointerEvent): DraftBox[] | undefined => {
    const d = drag.current;
    if (!d || d.kind === 'pan') return undefined;
    const p = imagePoint(e);
    if (d.kind === 'draw') {
      const rect = spanned(d.from, p, image);
      return [...props.boxes, { ...props.newBox(rect), id: -1 }];
    }
    const replace = (b: DraftBox) => props.boxes.map((x) => (x.id === b.id ? b : x));
    if (d.kind === 'move') {
      const box = moved(d.original, p.x - d.from.x, p.y - d.from.y, image);
      return replace({ ...box, source: 'human' });
    }
    return replace({ ...resized(d.original, d.handle, p, image), source: 'human' });
  };

  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    if (d.kind === 'pan') {
      panOffset.current = { dx: e.clientX - d.startX, dy: e.clientY - d.startY };
      panFrame.current ??= requestAnimationFrame(() => {
        panFrame.current = undefined;
        const { dx, dy } = panOffset.current;
        if (drag.current?.kind === 'pan') layerRef.current!.style.transform = `translate(${dx}px, ${dy}px)`;
      });
      return;
    }
    setPreview(gestureBoxes(e));
  };

  /** Ends a pan: the offset goes into the view, and the layer returns to its place in the same frame. */
  const endPan = (d: Extract<Drag, { kind: 'pan' }>, e: PointerEvent) => {
    if (panFrame.current !== undefined) cancelAnimationFrame(panFrame.current);
    panFrame.current = undefined;
    layerRef.current!.style.transform = '';
    layerRef.current!.classList.remove('dragging');
    const dx = e.clientX - d.startX;
    const dy = e.clientY - d.startY;
    if (dx !== 0 || dy !== 0) props.onView({ ...d.view, tx: d.view.tx + dx, ty: d.view.ty + dy });
  };

  const onPointerUp = (e: PointerEvent) => {
    const d = drag.current;
    const next = gestureBoxes(e);
    drag.current = undefined;
    if (d?.kind === 'pan') return endPan(d, e);
    setPreview(undefined);
    if (!d || !next) return;
    if (d.kind === 'draw') {
      const drawn = next[next.length - 1]!;
      if (drawn.width < minBoxSide || drawn.height < minBoxSide) {
        props.onSelect(undefined);
        return;
      }
      props.onCommit(next, -1);
      return;
    }
    const before = d.original;
    const after = next.find((b) => b.id === d.id)!;
    if (before.x === after.x && before.y === after.y && before.width === after.width && before.height === after.height)
      return;
    props.onCommit(next, d.id);
  };

  const shown = preview ?? props.boxes;
  return (
    <div ref={layerRef} class="canvas-layer">
      <svg
        ref={svgRef}
        class={`canvas${props.spaceHeld ? ' panning' : ''}`}
        role="img"
        aria-label={`Image, ${shown.length} box${shown.length === 1 ? '' : 'es'}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        {view && (
          <g transform={`translate(${view.tx} ${view.ty}) scale(${view.scale})`}>
            <image
              class="photo"
              href={props.imageUrl}
              x={0}
              y={0}
              width={image.width}
              height={image.height}
              preserveAspectRatio="none"
            />
            {props.boxesVisible && (
              <BoxLayer boxes={shown} selectedId={props.selectedId} scale={view.scale} colorOf={props.colorOf} />
            )}
          </g>
        )}
      </svg>
    </div>
  );
}

interface BoxLayerProps {
  boxes: DraftBox[];
  selectedId: number | undefined;
  scale: number;
  colorOf: (label: string) => string;
}

const BoxLayer = memo(function BoxLayer({ boxes, selectedId, scale, colorOf }: BoxLayerProps) {
  const handle = 9 / scale;
  const selected = boxes.find((b) => b.id === selectedId);
  return (
    <g class="boxes">
      {boxes.map((b) => (
        <g key={b.id} class={`box ${b.source}${b.id === selectedId ? ' selected' : ''}`} data-label={b.label}>
          <rect
            data-box-id={b.id}
            x={b.x}
            y={b.y}
            width={b.width}
            height={b.height}
            stroke={colorOf(b.label)}
            vector-effect="non-scaling-stroke"
          />
          <text x={b.x} y={b.y} dy={-4 / scale} font-size={13 / scale} fill={colorOf(b.label)}>
            {b.source === 'model' && b.score !== undefined ? `${b.label} ${b.score.toFixed(2)}` : b.label}
          </text>
        </g>
      ))}
      {selected &&
        (['nw', 'ne', 'sw', 'se'] as const).map((h) => (
          <rect
            key={h}
            class={`handle handle-${h}`}
            data-handle={h}
            x={(h === 'nw' || h === 'sw' ? selected.x : selected.x + selected.width) - handle / 2}
            y={(h === 'nw' || h === 'ne' ? selected.y : selected.y + selected.height) - handle / 2}
            width={handle}
            height={handle}
            vector-effect="non-scaling-stroke"
          />
        ))}
    </g>
  );
});
