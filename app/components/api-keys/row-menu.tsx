/**
 * A table row's ⋯ menu. A <details>, so it opens without JavaScript; its panel
 * floats over the row (absolutely positioned, styled in app.css under
 * "Row menu"), so opening it never changes the columns' widths. With
 * JavaScript, Escape closes it and returns focus to its button, and a click or
 * focus outside closes it.
 */
import { useEffect, useRef } from "react";

export function RowMenu({ label, children }: { label: string; children: React.ReactNode }) {
  const ref = useRef<HTMLDetailsElement>(null);

  useEffect(() => {
    const menu = ref.current;
    if (!menu) return;
    const close = () => {
      menu.open = false;
    };
    const onKeyDown = (e: KeyboardEvent) => {
      // A confirmation dialog opened from the menu handles its own Escape (it closes, the menu stays).
      if (e.key !== "Escape" || !menu.open || (e.target instanceof Element && e.target.closest("dialog"))) return;
      e.preventDefault();
      close();
      menu.querySelector("summary")?.focus();
    };
    const outside = (target: EventTarget | null) => target instanceof Node && !menu.contains(target);
    const onPointerDown = (e: PointerEvent) => {
      if (menu.open && outside(e.target)) close();
    };
    const onFocusOut = (e: FocusEvent) => {
      if (menu.open && outside(e.relatedTarget)) close();
    };
    menu.addEventListener("keydown", onKeyDown);
    menu.addEventListener("focusout", onFocusOut);
    document.addEventListener("pointerdown", onPointerDown);
    return () => {
      menu.removeEventListener("keydown", onKeyDown);
      menu.removeEventListener("focusout", onFocusOut);
      document.removeEventListener("pointerdown", onPointerDown);
    };
  }, []);

  return (
    <details ref={ref} className="row-menu">
      <summary aria-label={label}>
        <span aria-hidden="true">⋯</span>
      </summary>
      <div className="row-menu-panel">{children}</div>
    </details>
  );
}
