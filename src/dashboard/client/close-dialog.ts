import type { ListedConnection } from './api.js'
import { byId } from './dom.js'

/** Must match src/admin/close-request.ts (RFC 6455 §5.5: 125-byte control payload minus the code). */
const MAX_REASON_BYTES = 123

/**
 * The "close connection" dialog: pick a close code (a standard one or 3000–4999) and a reason,
 * then `onConfirm` sends it. Validation mirrors the API's so mistakes show before the request.
 */
export class CloseDialog {
  readonly #dialog = byId<HTMLDialogElement>('close-dialog')
  readonly #code = byId<HTMLSelectElement>('close-code')
  readonly #custom = byId<HTMLInputElement>('close-custom-code')
  readonly #reason = byId<HTMLInputElement>('close-reason')
  readonly #bytes = byId('close-reason-bytes')
  readonly #error = byId('close-error')
  readonly #target = byId('close-target')
  readonly #confirm = byId<HTMLButtonElement>('close-confirm')
  #connection: ListedConnection | undefined

  constructor(onConfirm: (id: string, code: number, reason: string) => Promise<void>) {
    this.#code.addEventListener('change', () => this.#sync())
    this.#reason.addEventListener('input', () => this.#sync())
    byId('close-cancel').addEventListener('click', () => this.#dialog.close())
    this.#dialog.addEventListener('submit', async (event) => {
      event.preventDefault()
      const connection = this.#connection
      const code = this.#selectedCode()
      const problem = this.#problem(code)
      if (!connection || problem) return this.#showError(problem ?? 'no connection selected')
      this.#confirm.disabled = true
      try {
        await onConfirm(connection.id, code, this.#reason.value)
        this.#dialog.close()
      } catch (error) {
        this.#showError(error instanceof Error ? error.message : String(error))
      } finally {
        this.#confirm.disabled = false
      }
    })
  }

  open(connection: ListedConnection): void {
    this.#connection = connection
    this.#target.textContent = `${connection.id} (${connection.clientIp}, site ${connection.site})`
    this.#showError('')
    this.#sync()
    this.#dialog.showModal()
  }

  #selectedCode(): number {
    return this.#code.value === 'custom' ? Number(this.#custom.value) : Number(this.#code.value)
  }

  #problem(code: number): string | undefined {
    if (this.#code.value === 'custom' && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) return 'A custom code is a whole number from 3000 to 4999'
    if (new TextEncoder().encode(this.#reason.value).length > MAX_REASON_BYTES) return `The reason must fit in ${MAX_REASON_BYTES} bytes`
    return undefined
  }

  #sync(): void {
    this.#custom.hidden = this.#code.value !== 'custom'
    const used = new TextEncoder().encode(this.#reason.value).length
    this.#bytes.textContent = `${used}/${MAX_REASON_BYTES} bytes`
    this.#bytes.classList.toggle('over', used > MAX_REASON_BYTES)
  }

  #showError(message: string): void {
    this.#error.textContent = message
    this.#error.hidden = message === ''
  }
}
