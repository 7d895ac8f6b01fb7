import { useId } from "preact/hooks";

interface DurationFieldProps {
  readonly label: string;
  /** Whole seconds; 0 where `zeroLabel` is offered means "none". */
  readonly seconds: number;
  readonly onChange: (seconds: number) => void;
  readonly zeroLabel?: string;
  readonly disabled?: boolean;
}

const units = [
  { seconds: 60, label: "minutes" },
  { seconds: 3600, label: "hours" },
  { seconds: 86400, label: "days" },
];

/** A duration as an amount and a unit (the largest that divides it). */
export function DurationField({ label, seconds, onChange, zeroLabel, disabled }: DurationFieldProps) {
  const ids = { amount: useId(), unit: useId() };
  const unit = [...units].reverse().find((u) => seconds > 0 && seconds % u.seconds === 0) ?? units[1]!;
  return (
    <fieldset disabled={disabled}>
      <legend>{label}</legend>
      <label for={ids.amount}>Amount{zeroLabel ? ` (0: ${zeroLabel})` : ""}</label>
      <input id={ids.amount} type="number" min={zeroLabel ? 0 : 1} max={3650 * 86400} value={seconds / unit.seconds} onInput={(e) => onChange(Math.round(Number(e.currentTarget.value) * unit.seconds))} />
      <label for={ids.unit}>Unit</label>
      <select id={ids.unit} value={unit.seconds} onChange={(e) => onChange((seconds / unit.seconds) * Number(e.currentTarget.value))}>
        {units.map((u) => (
          <option key={u.seconds} value={u.seconds}>
            {u.label}
          </option>
        ))}
      </select>
    </fieldset>
  );
}
