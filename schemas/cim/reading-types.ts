/**
 * The reading-type catalogue: which IEC 61968-9 ReadingType (the 18-part code of Annex C) a stored reading
 * has, by the reading's (archive, OBIS code, tariff), and back. Used by the CIM interface (api/cim/) and
 * documented in docs/cim.md. The table is data: one row per reading the built-in device profiles produce.
 *
 * Code fields, in order: macroPeriod . aggregate . measuringPeriod . accumulation . flowDirection .
 * commodity . measurementKind . interharmonic (numerator . denominator) . argument (numerator .
 * denominator) . TOU . cpp . consumptionTier . phases . multiplier . unit . currency.
 * Stored values are in base units (Wh, varh, W, V, A, m3, °C); the multiplier (field 16) says how the CIM
 * value is scaled: energies are published in kWh / kvarh (multiplier 3).
 * Not in the catalogue: device status and service values (OBIS C 96 and 97: error flags, status byte,
 * battery, operating time) — they are not meter readings.
 */

export interface ReadingTypeRow {
  archive: string;
  obis: string;
  tariff: number;
  /** 18-part CIM ReadingType code. */
  code: string;
  /** What it is, in words (docs/cim.md lists these). */
  name: string;
}

/** [archive, OBIS, tariff, ReadingType, name]. */
const ROWS: readonly (readonly [string, string, number, string, string])[] = [
  ['current', '1.0.1.8.0.255', 0, '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0', 'register A+ T0, kWh'],
  ['current', '1.0.1.8.1.255', 1, '0.0.0.1.1.1.12.0.0.0.0.1.0.0.0.3.72.0', 'register A+ T1, kWh'],
  ['current', '1.0.1.8.2.255', 2, '0.0.0.1.1.1.12.0.0.0.0.2.0.0.0.3.72.0', 'register A+ T2, kWh'],
  ['current', '1.0.1.8.3.255', 3, '0.0.0.1.1.1.12.0.0.0.0.3.0.0.0.3.72.0', 'register A+ T3, kWh'],
  ['current', '1.0.1.8.4.255', 4, '0.0.0.1.1.1.12.0.0.0.0.4.0.0.0.3.72.0', 'register A+ T4, kWh'],
  ['current', '1.0.2.8.0.255', 0, '0.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0', 'register A- T0, kWh'],
  ['current', '1.0.2.8.1.255', 1, '0.0.0.1.19.1.12.0.0.0.0.1.0.0.0.3.72.0', 'register A- T1, kWh'],
  ['current', '1.0.2.8.2.255', 2, '0.0.0.1.19.1.12.0.0.0.0.2.0.0.0.3.72.0', 'register A- T2, kWh'],
  ['current', '1.0.2.8.3.255', 3, '0.0.0.1.19.1.12.0.0.0.0.3.0.0.0.3.72.0', 'register A- T3, kWh'],
  ['current', '1.0.2.8.4.255', 4, '0.0.0.1.19.1.12.0.0.0.0.4.0.0.0.3.72.0', 'register A- T4, kWh'],
  ['current', '1.0.3.8.0.255', 0, '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.73.0', 'register R+ T0, kvarh'],
  ['current', '1.0.3.8.1.255', 1, '0.0.0.1.1.1.12.0.0.0.0.1.0.0.0.3.73.0', 'register R+ T1, kvarh'],
  ['current', '1.0.3.8.2.255', 2, '0.0.0.1.1.1.12.0.0.0.0.2.0.0.0.3.73.0', 'register R+ T2, kvarh'],
  ['current', '1.0.3.8.3.255', 3, '0.0.0.1.1.1.12.0.0.0.0.3.0.0.0.3.73.0', 'register R+ T3, kvarh'],
  ['current', '1.0.3.8.4.255', 4, '0.0.0.1.1.1.12.0.0.0.0.4.0.0.0.3.73.0', 'register R+ T4, kvarh'],
  ['current', '1.0.4.8.0.255', 0, '0.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.73.0', 'register R- T0, kvarh'],
  ['current', '1.0.4.8.1.255', 1, '0.0.0.1.19.1.12.0.0.0.0.1.0.0.0.3.73.0', 'register R- T1, kvarh'],
  ['current', '1.0.4.8.2.255', 2, '0.0.0.1.19.1.12.0.0.0.0.2.0.0.0.3.73.0', 'register R- T2, kvarh'],
  ['current', '1.0.4.8.3.255', 3, '0.0.0.1.19.1.12.0.0.0.0.3.0.0.0.3.73.0', 'register R- T3, kvarh'],
  ['current', '1.0.4.8.4.255', 4, '0.0.0.1.19.1.12.0.0.0.0.4.0.0.0.3.73.0', 'register R- T4, kvarh'],
  ['end-of-day', '1.0.1.8.0.255', 0, '11.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0', 'daily register A+ T0, kWh'],
  ['end-of-day', '1.0.1.8.1.255', 1, '11.0.0.1.1.1.12.0.0.0.0.1.0.0.0.3.72.0', 'daily register A+ T1, kWh'],
  ['end-of-day', '1.0.1.8.2.255', 2, '11.0.0.1.1.1.12.0.0.0.0.2.0.0.0.3.72.0', 'daily register A+ T2, kWh'],
  ['end-of-day', '1.0.1.8.3.255', 3, '11.0.0.1.1.1.12.0.0.0.0.3.0.0.0.3.72.0', 'daily register A+ T3, kWh'],
  ['end-of-day', '1.0.1.8.4.255', 4, '11.0.0.1.1.1.12.0.0.0.0.4.0.0.0.3.72.0', 'daily register A+ T4, kWh'],
  ['end-of-day', '1.0.2.8.0.255', 0, '11.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0', 'daily register A- T0, kWh'],
  ['end-of-day', '1.0.2.8.1.255', 1, '11.0.0.1.19.1.12.0.0.0.0.1.0.0.0.3.72.0', 'daily register A- T1, kWh'],
  ['end-of-day', '1.0.2.8.2.255', 2, '11.0.0.1.19.1.12.0.0.0.0.2.0.0.0.3.72.0', 'daily register A- T2, kWh'],
  ['end-of-day', '1.0.2.8.3.255', 3, '11.0.0.1.19.1.12.0.0.0.0.3.0.0.0.3.72.0', 'daily register A- T3, kWh'],
  ['end-of-day', '1.0.2.8.4.255', 4, '11.0.0.1.19.1.12.0.0.0.0.4.0.0.0.3.72.0', 'daily register A- T4, kWh'],
  ['end-of-day', '1.0.3.8.0.255', 0, '11.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.73.0', 'daily register R+ T0, kvarh'],
  ['end-of-day', '1.0.3.8.1.255', 1, '11.0.0.1.1.1.12.0.0.0.0.1.0.0.0.3.73.0', 'daily register R+ T1, kvarh'],
  ['end-of-day', '1.0.3.8.2.255', 2, '11.0.0.1.1.1.12.0.0.0.0.2.0.0.0.3.73.0', 'daily register R+ T2, kvarh'],
  ['end-of-day', '1.0.3.8.3.255', 3, '11.0.0.1.1.1.12.0.0.0.0.3.0.0.0.3.73.0', 'daily register R+ T3, kvarh'],
  ['end-of-day', '1.0.3.8.4.255', 4, '11.0.0.1.1.1.12.0.0.0.0.4.0.0.0.3.73.0', 'daily register R+ T4, kvarh'],
  ['end-of-day', '1.0.4.8.0.255', 0, '11.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.73.0', 'daily register R- T0, kvarh'],
  ['end-of-day', '1.0.4.8.1.255', 1, '11.0.0.1.19.1.12.0.0.0.0.1.0.0.0.3.73.0', 'daily register R- T1, kvarh'],
  ['end-of-day', '1.0.4.8.2.255', 2, '11.0.0.1.19.1.12.0.0.0.0.2.0.0.0.3.73.0', 'daily register R- T2, kvarh'],
  ['end-of-day', '1.0.4.8.3.255', 3, '11.0.0.1.19.1.12.0.0.0.0.3.0.0.0.3.73.0', 'daily register R- T3, kvarh'],
  ['end-of-day', '1.0.4.8.4.255', 4, '11.0.0.1.19.1.12.0.0.0.0.4.0.0.0.3.73.0', 'daily register R- T4, kvarh'],
  ['end-of-month', '1.0.1.8.0.255', 0, '13.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0', 'monthly register A+ T0, kWh'],
  ['end-of-month', '1.0.1.8.1.255', 1, '13.0.0.1.1.1.12.0.0.0.0.1.0.0.0.3.72.0', 'monthly register A+ T1, kWh'],
  ['end-of-month', '1.0.1.8.2.255', 2, '13.0.0.1.1.1.12.0.0.0.0.2.0.0.0.3.72.0', 'monthly register A+ T2, kWh'],
  ['end-of-month', '1.0.1.8.3.255', 3, '13.0.0.1.1.1.12.0.0.0.0.3.0.0.0.3.72.0', 'monthly register A+ T3, kWh'],
  ['end-of-month', '1.0.1.8.4.255', 4, '13.0.0.1.1.1.12.0.0.0.0.4.0.0.0.3.72.0', 'monthly register A+ T4, kWh'],
  ['end-of-month', '1.0.2.8.0.255', 0, '13.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0', 'monthly register A- T0, kWh'],
  ['end-of-month', '1.0.2.8.1.255', 1, '13.0.0.1.19.1.12.0.0.0.0.1.0.0.0.3.72.0', 'monthly register A- T1, kWh'],
  ['end-of-month', '1.0.2.8.2.255', 2, '13.0.0.1.19.1.12.0.0.0.0.2.0.0.0.3.72.0', 'monthly register A- T2, kWh'],
  ['end-of-month', '1.0.2.8.3.255', 3, '13.0.0.1.19.1.12.0.0.0.0.3.0.0.0.3.72.0', 'monthly register A- T3, kWh'],
  ['end-of-month', '1.0.2.8.4.255', 4, '13.0.0.1.19.1.12.0.0.0.0.4.0.0.0.3.72.0', 'monthly register A- T4, kWh'],
  ['end-of-month', '1.0.3.8.0.255', 0, '13.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.73.0', 'monthly register R+ T0, kvarh'],
  ['end-of-month', '1.0.3.8.1.255', 1, '13.0.0.1.1.1.12.0.0.0.0.1.0.0.0.3.73.0', 'monthly register R+ T1, kvarh'],
  ['end-of-month', '1.0.3.8.2.255', 2, '13.0.0.1.1.1.12.0.0.0.0.2.0.0.0.3.73.0', 'monthly register R+ T2, kvarh'],
  ['end-of-month', '1.0.3.8.3.255', 3, '13.0.0.1.1.1.12.0.0.0.0.3.0.0.0.3.73.0', 'monthly register R+ T3, kvarh'],
  ['end-of-month', '1.0.3.8.4.255', 4, '13.0.0.1.1.1.12.0.0.0.0.4.0.0.0.3.73.0', 'monthly register R+ T4, kvarh'],
  ['end-of-month', '1.0.4.8.0.255', 0, '13.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.73.0', 'monthly register R- T0, kvarh'],
  ['end-of-month', '1.0.4.8.1.255', 1, '13.0.0.1.19.1.12.0.0.0.0.1.0.0.0.3.73.0', 'monthly register R- T1, kvarh'],
  ['end-of-month', '1.0.4.8.2.255', 2, '13.0.0.1.19.1.12.0.0.0.0.2.0.0.0.3.73.0', 'monthly register R- T2, kvarh'],
  ['end-of-month', '1.0.4.8.3.255', 3, '13.0.0.1.19.1.12.0.0.0.0.3.0.0.0.3.73.0', 'monthly register R- T3, kvarh'],
  ['end-of-month', '1.0.4.8.4.255', 4, '13.0.0.1.19.1.12.0.0.0.0.4.0.0.0.3.73.0', 'monthly register R- T4, kvarh'],
  ['profile-15', '1.0.1.29.0.255', 0, '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0', '15-minute delta A+, kWh'],
  ['profile-15', '1.0.2.29.0.255', 0, '0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0', '15-minute delta A-, kWh'],
  ['profile-15', '1.0.3.29.0.255', 0, '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.73.0', '15-minute delta R+, kvarh'],
  ['profile-15', '1.0.4.29.0.255', 0, '0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.3.73.0', '15-minute delta R-, kvarh'],
  ['profile-15', '1.0.1.8.0.255', 0, '0.0.2.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0', '15-minute register A+ (IDIS load profile), kWh'],
  ['profile-15', '1.0.2.8.0.255', 0, '0.0.2.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0', '15-minute register A- (IDIS load profile), kWh'],
  ['profile-15', '1.0.3.8.0.255', 0, '0.0.2.1.1.1.12.0.0.0.0.0.0.0.0.3.73.0', '15-minute register R+ (IDIS load profile), kvarh'],
  ['profile-15', '1.0.4.8.0.255', 0, '0.0.2.1.19.1.12.0.0.0.0.0.0.0.0.3.73.0', '15-minute register R- (IDIS load profile), kvarh'],
  ['profile-30', '1.0.1.29.0.255', 0, '0.0.5.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0', '30-minute delta A+, kWh'],
  ['profile-30', '1.0.2.29.0.255', 0, '0.0.5.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0', '30-minute delta A-, kWh'],
  ['profile-30', '1.0.3.29.0.255', 0, '0.0.5.4.1.1.12.0.0.0.0.0.0.0.0.3.73.0', '30-minute delta R+, kvarh'],
  ['profile-30', '1.0.4.29.0.255', 0, '0.0.5.4.19.1.12.0.0.0.0.0.0.0.0.3.73.0', '30-minute delta R-, kvarh'],
  ['profile-30', '1.0.1.8.0.255', 0, '0.0.5.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0', '30-minute register A+ (IDIS load profile), kWh'],
  ['profile-30', '1.0.2.8.0.255', 0, '0.0.5.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0', '30-minute register A- (IDIS load profile), kWh'],
  ['profile-30', '1.0.3.8.0.255', 0, '0.0.5.1.1.1.12.0.0.0.0.0.0.0.0.3.73.0', '30-minute register R+ (IDIS load profile), kvarh'],
  ['profile-30', '1.0.4.8.0.255', 0, '0.0.5.1.19.1.12.0.0.0.0.0.0.0.0.3.73.0', '30-minute register R- (IDIS load profile), kvarh'],
  ['profile-60', '1.0.1.29.0.255', 0, '0.0.7.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0', '60-minute delta A+, kWh'],
  ['profile-60', '1.0.2.29.0.255', 0, '0.0.7.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0', '60-minute delta A-, kWh'],
  ['profile-60', '1.0.3.29.0.255', 0, '0.0.7.4.1.1.12.0.0.0.0.0.0.0.0.3.73.0', '60-minute delta R+, kvarh'],
  ['profile-60', '1.0.4.29.0.255', 0, '0.0.7.4.19.1.12.0.0.0.0.0.0.0.0.3.73.0', '60-minute delta R-, kvarh'],
  ['profile-60', '1.0.1.8.0.255', 0, '0.0.7.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0', '60-minute register A+ (IDIS load profile), kWh'],
  ['profile-60', '1.0.2.8.0.255', 0, '0.0.7.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0', '60-minute register A- (IDIS load profile), kWh'],
  ['profile-60', '1.0.3.8.0.255', 0, '0.0.7.1.1.1.12.0.0.0.0.0.0.0.0.3.73.0', '60-minute register R+ (IDIS load profile), kvarh'],
  ['profile-60', '1.0.4.8.0.255', 0, '0.0.7.1.19.1.12.0.0.0.0.0.0.0.0.3.73.0', '60-minute register R- (IDIS load profile), kvarh'],
  ['network', '1.0.32.7.0.255', 0, '0.0.0.12.0.1.54.0.0.0.0.0.0.0.129.0.29.0', 'voltage L1-N, V'],
  ['network', '1.0.52.7.0.255', 0, '0.0.0.12.0.1.54.0.0.0.0.0.0.0.65.0.29.0', 'voltage L2-N, V'],
  ['network', '1.0.72.7.0.255', 0, '0.0.0.12.0.1.54.0.0.0.0.0.0.0.33.0.29.0', 'voltage L3-N, V'],
  ['network', '1.0.31.7.0.255', 0, '0.0.0.12.0.1.4.0.0.0.0.0.0.0.128.0.5.0', 'current L1, A'],
  ['network', '1.0.51.7.0.255', 0, '0.0.0.12.0.1.4.0.0.0.0.0.0.0.64.0.5.0', 'current L2, A'],
  ['network', '1.0.71.7.0.255', 0, '0.0.0.12.0.1.4.0.0.0.0.0.0.0.32.0.5.0', 'current L3, A'],
  ['network', '1.0.36.7.0.255', 0, '0.0.0.12.4.1.37.0.0.0.0.0.0.0.128.0.38.0', 'active power L1 (net), W'],
  ['network', '1.0.56.7.0.255', 0, '0.0.0.12.4.1.37.0.0.0.0.0.0.0.64.0.38.0', 'active power L2 (net), W'],
  ['network', '1.0.76.7.0.255', 0, '0.0.0.12.4.1.37.0.0.0.0.0.0.0.32.0.38.0', 'active power L3 (net), W'],
  ['network', '1.0.16.7.0.255', 0, '0.0.0.12.4.1.37.0.0.0.0.0.0.0.224.0.38.0', 'active power total (net), W'],
  ['network', '1.0.131.7.0.255', 0, '0.0.0.12.4.1.37.0.0.0.0.0.0.0.224.0.63.0', 'reactive power total (net), var'],
  ['network', '1.0.33.7.0.255', 0, '0.0.0.12.0.1.38.0.0.0.0.0.0.0.128.0.65.0', 'power factor L1'],
  ['network', '1.0.53.7.0.255', 0, '0.0.0.12.0.1.38.0.0.0.0.0.0.0.64.0.65.0', 'power factor L2'],
  ['network', '1.0.73.7.0.255', 0, '0.0.0.12.0.1.38.0.0.0.0.0.0.0.32.0.65.0', 'power factor L3'],
  ['network', '1.0.13.7.0.255', 0, '0.0.0.12.0.1.38.0.0.0.0.0.0.0.224.0.65.0', 'power factor total'],
  ['network', '1.0.14.7.0.255', 0, '0.0.0.12.0.1.15.0.0.0.0.0.0.0.0.0.33.0', 'frequency, Hz'],
  ['current', '6.0.1.0.0.255', 0, '0.0.0.1.1.12.12.0.0.0.0.0.0.0.0.3.72.0', 'heat energy register, kWh'],
  ['end-of-month', '6.0.1.0.0.1', 0, '13.0.0.1.1.12.12.0.0.0.0.0.0.0.0.3.72.0', 'heat energy at the due date, kWh'],
  ['current', '6.0.1.0.1.255', 1, '0.0.0.1.1.12.12.0.0.0.0.1.0.0.0.3.72.0', 'heat energy register T1, kWh'],
  ['current', '6.0.1.0.2.255', 2, '0.0.0.1.1.12.12.0.0.0.0.2.0.0.0.3.72.0', 'heat energy register T2, kWh'],
  ['current', '6.0.2.0.0.255', 0, '0.0.0.1.1.12.58.0.0.0.0.0.0.0.0.0.42.0', 'heating fluid volume register, m3'],
  ['end-of-month', '6.0.2.0.0.1', 0, '13.0.0.1.1.12.58.0.0.0.0.0.0.0.0.0.42.0', 'heating fluid volume at the due date, m3'],
  ['telemetry', '6.0.8.0.0.255', 0, '0.0.0.12.1.12.37.0.0.0.0.0.0.0.0.0.38.0', 'heat power, W'],
  ['telemetry', '6.0.8.6.0.255', 0, '0.8.0.12.1.12.37.0.0.0.0.0.0.0.0.0.38.0', 'heat power maximum, W'],
  ['telemetry', '6.0.9.0.0.255', 0, '0.0.0.12.1.12.155.0.0.0.0.0.0.0.0.0.125.0', 'heating fluid flow, m3/h'],
  ['telemetry', '6.0.9.6.0.255', 0, '0.8.0.12.1.12.155.0.0.0.0.0.0.0.0.0.125.0', 'heating fluid flow maximum, m3/h'],
  ['telemetry', '6.0.10.0.0.255', 0, '0.0.0.12.1.12.46.0.0.0.0.0.0.0.0.0.23.0', 'flow temperature, °C'],
  ['telemetry', '6.0.11.0.0.255', 0, '0.0.0.12.19.12.46.0.0.0.0.0.0.0.0.0.23.0', 'return temperature, °C'],
  ['telemetry', '6.0.12.0.0.255', 0, '0.0.0.12.0.12.46.0.0.0.0.0.0.0.0.0.6.0', 'temperature difference, K'],
  ['current', '7.0.3.0.0.255', 0, '0.0.0.1.1.7.58.0.0.0.0.0.0.0.0.0.42.0', 'gas volume register, m3'],
  ['end-of-month', '7.0.3.0.0.1', 0, '13.0.0.1.1.7.58.0.0.0.0.0.0.0.0.0.42.0', 'gas volume at the due date, m3'],
  ['telemetry', '7.0.43.0.0.255', 0, '0.0.0.12.1.7.155.0.0.0.0.0.0.0.0.0.125.0', 'gas flow, m3/h'],
  ['current', '8.0.1.0.0.255', 0, '0.0.0.1.1.9.58.0.0.0.0.0.0.0.0.0.42.0', 'water volume register, m3'],
  ['end-of-month', '8.0.1.0.0.1', 0, '13.0.0.1.1.9.58.0.0.0.0.0.0.0.0.0.42.0', 'water volume at the due date, m3'],
  ['telemetry', '8.0.1.6.0.255', 0, '0.8.0.1.1.9.58.0.0.0.0.0.0.0.0.0.42.0', 'water volume maximum, m3'],
  ['telemetry', '8.0.2.0.0.255', 0, '0.0.0.12.1.9.155.0.0.0.0.0.0.0.0.0.125.0', 'water flow, m3/h'],
  ['telemetry', '8.0.2.6.0.255', 0, '0.8.0.12.1.9.155.0.0.0.0.0.0.0.0.0.125.0', 'water flow maximum, m3/h'],
  ['telemetry', '8.0.10.0.0.255', 0, '0.0.0.12.0.4.46.0.0.0.0.0.0.0.0.0.23.0', 'external (air) temperature, °C'],
  ['telemetry', '8.0.10.1.0.255', 0, '0.0.0.12.1.9.46.0.0.0.0.0.0.0.0.0.23.0', 'water flow temperature, °C'],
];

export const READING_TYPES: readonly ReadingTypeRow[] = ROWS.map(([archive, obis, tariff, code, name]) => ({ archive, obis, tariff, code, name }));

const key = (archive: string, obis: string, tariff: number) => `${archive}|${obis}|${tariff}`;
const byKey = new Map(READING_TYPES.map((r) => [key(r.archive, r.obis, r.tariff), r]));
const byCode = new Map(READING_TYPES.map((r) => [r.code, r]));

/** The reading type of a stored reading, or undefined when the catalogue has none. */
export function readingTypeOf(archive: string, obis: string, tariff: number): ReadingTypeRow | undefined {
  return byKey.get(key(archive, obis, tariff));
}

/** The stored readings (archive, OBIS, tariff) a CIM ReadingType code names, or undefined. */
export function readingsOfType(code: string): ReadingTypeRow | undefined {
  return byCode.get(code.trim());
}

/** The power of ten of a code's unit (field 16): CIM value = stored value / 10^multiplier. */
export function multiplierOf(code: string): number {
  return Number(code.split('.')[15] ?? 0);
}

/** 18 dot-separated integers. */
export const READING_TYPE_PATTERN = /^-?\d+(\.-?\d+){17}$/;
