/**
 * What the server's codes mean, in each page language: every `error.code` the server can send
 * (signaling, business-flow refusals, core-banking rules, verification refusals, the auditor API),
 * every `flow_message` code for the customer and the teller, and the WebSocket close codes. What is
 * said per business type (`wait_for_teller`, `branch_instructions`) is in shared/businesses.js.
 *
 * The server sends codes and parameters (`error.params`, `flow_message.data`); a page shows the
 * sentence of its language from here, never the server's English `message`. A test collects every
 * code from the Python source and fails when one lacks a language here
 * (tests/browser/test_error_texts.py).
 *
 * The sentences speak to the customer. Staff pages (teller console, field tablet, staff sign-in) use
 * {@link staffErrorText}: the staff wording where the customer's would be wrong for them ("the
 * customer has not consented" rather than "you have not consented"), the customer's otherwise.
 *
 *     import {errorText, flowMessageText, staffErrorText} from '/shared/error-texts.js';
 *     errorText('not_eligible', 'zh-CN', {age: 60});
 *     flowMessageText('customer', 'enter_pin', 'en', {card: '****1234'});
 *     staffErrorText('consent_refused', 'zh-CN', error.message);
 *
 * @module shared/error-texts
 */

import {businessSentence} from '/shared/businesses.js';

/** @typedef {'zh-CN'|'en'} Lang */
/** @typedef {Record<string, string|number|boolean|null|undefined>} Params */
/** @typedef {{'zh-CN': string, en: string}} Pair */

import {sentence} from '/shared/dom.js';

export const LANGUAGES = /** @type {const} */ (['zh-CN', 'en']);

/** @type {Record<string, Pair>} error code -> sentence */
const ERRORS = {
  // protocol and signaling (signaling/errors.py, signaling/switchboard.py, signaling/feedback.py)
  bad_json: {'zh-CN': '消息无法读取。', en: 'The message could not be read.'},
  unknown_type: {'zh-CN': '这个操作不受支持。', en: 'This action is not supported.'},
  invalid_message: {'zh-CN': '填写的内容格式不对，请检查后重试。', en: 'Something you entered is not in the right form. Please check it and try again.'},
  not_allowed: {'zh-CN': '现在不能进行这个操作。', en: 'This cannot be done right now.'},
  auth_failed: {'zh-CN': '用户名或密码不正确。', en: 'The user name or password is wrong.'},
  unknown_session: {'zh-CN': '这通视频通话已经结束。', en: 'This video call has already ended.'},
  media_error: {'zh-CN': '视频连接出了问题，请重试。', en: 'The video connection had a problem. Please try again.'},
  server_error: {'zh-CN': '系统出了问题，请稍后再试。', en: 'Something went wrong on our side. Please try again later.'},
  invalid_resident_id: {'zh-CN': '身份证号码不正确，请核对后重新输入。', en: 'The ID number is not valid. Please check it and enter it again.'},
  not_eligible: {'zh-CN': '“一键转人工”面向{age}岁及以上的客户。请先填写身份证号码，或选择业务后排队。', en: '“Talk to a person now” is for customers aged {age} and over. Enter your ID number, or choose a business and join the queue.'},
  invalid_callback: {'zh-CN': '这个回电预约无法使用，请重新选择。', en: 'This call-back cannot be used. Please choose again.'},
  'invalid_callback.hours': {'zh-CN': '请选择服务时间（{hours}）之内的回电时间。', en: 'Please choose a call-back time within our service hours ({hours}).'},
  not_available: {'zh-CN': '这项服务暂时不可用。', en: 'This service is not available right now.'},
  invalid_feedback: {'zh-CN': '无法提交这次评价。', en: 'This rating cannot be sent.'},
  feedback_closed: {'zh-CN': '这次通话已经评价过了，或者评价时间已过。', en: 'This call has been rated already, or the time to rate it has passed.'},
  rate_limited: {'zh-CN': '操作太频繁，请稍等一下再试。', en: 'Too many requests at once. Please wait a moment and try again.'},
  too_many_attempts: {'zh-CN': '登录失败次数过多，请稍后再试。', en: 'Too many failed sign-ins. Please wait and try again.'},
  resume_refused: {'zh-CN': '无法回到原来的通话或排队位置（已结束或已在别处恢复）。', en: 'The call or the place in line could not be taken back: it is over or was resumed elsewhere.'},
  // the page's own (no server message): the connection closed, or the browser failed
  closed: {'zh-CN': '无法连接服务，请检查网络后重试。', en: 'Cannot reach the service. Please check your connection and try again.'},
  client_error: {'zh-CN': '出了点问题，请重试。', en: 'Something went wrong. Please try again.'},
  // business flows: the policy gate, order and roles (video_bank/flows/outputs.py)
  consent_required: {'zh-CN': '请先回答同意事项。', en: 'Please answer the consent questions first.'},
  consent_refused: {'zh-CN': '您没有同意录像或人脸比对，本次业务不能通过视频办理。', en: 'Without your consent this business cannot be done over video.'},
  identification_required: {'zh-CN': '请先输入身份证号码。', en: 'Please enter your ID number first.'},
  verification_required: {'zh-CN': '需要先完成身份核验。', en: 'The identity check must be done first.'},
  verification_review_pending: {'zh-CN': '柜员正在复核身份核验结果，请稍候。', en: 'The teller is reviewing the identity check. Please wait.'},
  verification_failed: {'zh-CN': '身份核验没有通过。', en: 'The identity check did not pass.'},
  verification_mismatch: {'zh-CN': '这个核验结果不属于本次通话。', en: 'This identity check belongs to another call.'},
  step_required: {'zh-CN': '请先完成上一步。', en: 'Please finish the previous step first.'},
  not_legal_representative: {'zh-CN': '您不是该企业的法定代表人，不能继续核实。', en: 'You are not the company’s legal representative, so the check cannot go on.'},
  not_started: {'zh-CN': '业务还没有开始。', en: 'The business has not started yet.'},
  wrong_actor: {'zh-CN': '这一步不由您来操作。', en: 'This step is not yours to do.'},
  not_in_this_business: {'zh-CN': '这一步不属于本次业务。', en: 'This is not part of this business.'},
  flow_finished: {'zh-CN': '本次业务已经结束。', en: 'This business has ended.'},
  flow_in_progress: {'zh-CN': '请在业务办完以后再进行这一步。', en: 'This is done once the business has ended.'},
  step_done: {'zh-CN': '这一步已经完成了。', en: 'This step is already done.'},
  busy: {'zh-CN': '上一步还在处理中，请稍候。', en: 'The previous step is still being carried out. Please wait.'},
  out_of_order: {'zh-CN': '现在还不能做这一步。', en: 'This step cannot be done yet.'},
  already_recorded: {'zh-CN': '已经记录过了。', en: 'This has been recorded already.'},
  unexpected_result: {'zh-CN': '系统收到了一个意外的结果。', en: 'The system received an unexpected result.'},
  not_recorded: {'zh-CN': '这次通话无法录像，不能办理业务。请稍后再来电。', en: 'This call cannot be recorded, so no business can be done in it. Please call again later.'},
  // business flows: what was entered, and core banking's rules (video_bank/core_banking)
  unknown_card: {'zh-CN': '没有找到这张卡。', en: 'This card was not found.'},
  unknown_account: {'zh-CN': '没有找到这个账户。', en: 'This account was not found.'},
  card_already_active: {'zh-CN': '这张卡已经激活了。', en: 'This card is already active.'},
  card_frozen: {'zh-CN': '这张卡已被冻结，请到网点办理。', en: 'This card is frozen. Please visit a branch.'},
  card_review_pending: {'zh-CN': '这张卡还在等待审核。', en: 'This card is still waiting for its review.'},
  card_review_rejected: {'zh-CN': '这张卡没有通过审核。', en: 'This card did not pass its review.'},
  card_not_pending_review: {'zh-CN': '这张卡不在等待审核。', en: 'This card is not waiting for a review.'},
  account_frozen: {'zh-CN': '这个账户已被冻结，请到网点办理。', en: 'This account is frozen. Please visit a branch.'},
  account_closed: {'zh-CN': '这个账户已经销户。', en: 'This account is closed.'},
  invalid_phone: {'zh-CN': '请输入正确的11位手机号码。', en: 'Please enter a valid 11-digit mobile number.'},
  invalid_address: {'zh-CN': '地址要有5到200个字。', en: 'The address must be 5 to 200 characters long.'},
  no_change: {'zh-CN': '新的手机号码和地址与现在的一样。', en: 'The new phone number and address are the same as the current ones.'},
  reason_required: {'zh-CN': '请写明原因。', en: 'Please give a reason.'},
  invalid_reason: {'zh-CN': '原因与决定不一致。', en: 'The reason does not match the decision.'},
  wrong_question: {'zh-CN': '这不是屏幕上正在问的问题。', en: 'This is not the question on screen.'},
  pin_format: {'zh-CN': '密码必须是6位数字。', en: 'The PIN must be 6 digits.'},
  pin_mismatch: {'zh-CN': '两次输入的密码不一样，请把同一个密码输入两次。', en: 'The two entries differ. Please enter the same PIN twice.'},
  pin_repeated: {'zh-CN': '密码不能是同一个数字重复6次。', en: 'The PIN cannot be one digit six times.'},
  pin_sequence: {'zh-CN': '密码不能是连续的数字，比如123456或654321。', en: 'The PIN cannot be a run of digits such as 123456 or 654321.'},
  pin_personal: {'zh-CN': '密码不能是您的出生日期或身份证号码的后6位。', en: 'The PIN cannot be your birth date or the end of your ID number.'},
  customer_not_found: {'zh-CN': '没有找到这个身份证号码，请核对后重新输入。', en: 'We could not find this ID number. Please check it and enter it again.'},
  application_not_found: {'zh-CN': '没有找到这个开户申请。', en: 'This account-opening application was not found.'},
  application_not_pending: {'zh-CN': '这个开户申请已经处理过了。', en: 'This application has been decided already.'},
  application_decided: {'zh-CN': '这个开户申请已经有了决定。', en: 'This application has been decided already.'},
  invalid_card_number: {'zh-CN': '卡号不正确。', en: 'The card number is not valid.'},
  invalid_credit_code: {'zh-CN': '统一社会信用代码不正确。', en: 'The unified social credit code is not valid.'},
  invalid_id: {'zh-CN': '编号格式不正确。', en: 'The record id is not valid.'},
  invalid_status: {'zh-CN': '状态不正确。', en: 'The status is not valid.'},
  invalid_account_type: {'zh-CN': '账户类型不正确。', en: 'The account type is not valid.'},
  invalid_company_name: {'zh-CN': '企业名称不正确。', en: 'The company name is not valid.'},
  invalid_name: {'zh-CN': '姓名不正确。', en: 'The name is not valid.'},
  invalid_reference: {'zh-CN': '参考照片编号不正确。', en: 'The reference photo id is not valid.'},
  // verification refusals, to the teller (verification_refused.reason)
  locked_out: {'zh-CN': '核验失败次数过多，请稍后再试。', en: 'Too many failed checks. Please try again later.'},
  no_reference: {'zh-CN': '该客户没有登记参考照片。', en: 'No reference photo is enrolled for this customer.'},
  already_running: {'zh-CN': '核验已经在进行中。', en: 'A check is already running in this call.'},
  customer_absent: {'zh-CN': '客户还没有加入通话。', en: 'The customer has not joined the call yet.'},
  unavailable: {'zh-CN': '核验暂时不可用，请重试。', en: 'Verification is unavailable. Please try again.'},
  // the teller's review of a verdict (verification_refused.reason for verification_resolve)
  no_review: {'zh-CN': '没有等待您复核的身份核验。', en: 'There is no identity check waiting for your review.'},
  second_staff_required: {'zh-CN': '需要第二位柜员或主管签核。', en: 'A second teller or a supervisor must confirm this review.'},
  second_staff_invalid: {'zh-CN': '第二位签核人的登录未通过（须是另一位柜员或主管）。', en: 'The second staff member’s sign-in was not accepted (another teller or a supervisor must sign).'},
  second_staff_throttled: {'zh-CN': '这位同事的密码输错次数过多，请稍后再试。', en: 'Too many wrong passwords for that colleague. Wait a while and try again.'},
  // the auditor's HTTP API (video_bank/auditing/errors.py)
  internal: {'zh-CN': '服务器内部错误。', en: 'Internal server error.'},
  bad_request: {'zh-CN': '请求不正确。', en: 'The request is not valid.'},
  not_signed_in: {'zh-CN': '请先登录。', en: 'Please sign in first.'},
  forbidden: {'zh-CN': '您没有权限进行这个操作。', en: 'You are not allowed to do this.'},
  not_opened: {'zh-CN': '请先说明理由并打开这份记录。', en: 'Open the record with a reason first.'},
  not_found: {'zh-CN': '没有找到。', en: 'Not found.'},
  access_log: {'zh-CN': '访问日志无法写入，记录没有打开。', en: 'The access log could not be written, so the record was not opened.'},
};

/**
 * Staff wording (teller console, field tablet, staff sign-in) for codes whose customer sentence
 * speaks to the customer; every other code reads the same to staff.
 * @type {Record<string, Pair>}
 */
const STAFF_ERRORS = {
  unknown_session: {'zh-CN': '该会话已结束或不属于您。', en: 'That session has ended or is not yours.'},
  not_available: {'zh-CN': '此服务暂不可用，或该会话已无可办理的业务。', en: 'This service is not available, or the session has no business left to do.'},
  auth_failed: {'zh-CN': '用户名或密码错误。', en: 'Wrong username or password.'},
  forbidden: {'zh-CN': '此账号无权使用这项功能。', en: 'This account may not use this.'},
  wrong_actor: {'zh-CN': '这一步应由通话的另一方完成。', en: 'The other side of the call does this step.'},
  consent_required: {'zh-CN': '客户尚未答复同意事项。', en: 'The customer has not answered the consent questions.'},
  consent_refused: {'zh-CN': '客户未同意录像或人脸核验。', en: 'The customer refused recording or the face check.'},
  identification_required: {'zh-CN': '尚未识别客户（请先输入或查询身份证号）。', en: 'The customer is not identified yet (enter or look up the ID number first).'},
  verification_review_pending: {'zh-CN': '核验结果尚待柜员复核。', en: 'The identity check waits for the teller’s review.'},
  not_legal_representative: {'zh-CN': '核验通过的人不是该申请的法定代表人。', en: 'The verified person is not the application’s legal representative.'},
  card_frozen: {'zh-CN': '该卡已冻结。', en: 'The card is frozen.'},
  account_frozen: {'zh-CN': '该账户已冻结。', en: 'The account is frozen.'},
  not_recorded: {'zh-CN': '本次通话无法录像，不能办理业务。请客户稍后再来电，并报告录像故障。', en: 'This call is not being recorded, so no business can be done in it. Ask the customer to call again later and report the recording fault.'},
  closed: {'zh-CN': '无法连接服务，请检查网络后重试。', en: 'Cannot reach the service. Check the network and try again.'},
  network: {'zh-CN': '无法连接服务器，请检查网络后重试。', en: 'The server cannot be reached. Check the network and try again.'},
};

/** Codes with their own staff wording (tests: each is a code the server or a page uses). */
export const STAFF_CODES = Object.freeze(Object.keys(STAFF_ERRORS));

/** @type {Pair} a code this module does not know yet (a newer server), on a staff page without the server's text */
const STAFF_UNKNOWN = {'zh-CN': '操作未成功（{code}）。', en: 'This did not go through ({code}).'};

/** @type {Record<string, Pair>} `flow_finished` per status */
const FINISHED = {
  completed: {'zh-CN': '全部办好了，谢谢您。', en: 'All done. Thank you.'},
  declined: {'zh-CN': '没有您的同意，这项业务不能通过视频办理。', en: 'This business cannot be done over video without your consent.'},
  failed: {'zh-CN': '这次没能通过视频确认您的身份。', en: 'We could not confirm your identity over video.'},
  cancelled: {'zh-CN': '柜员已停止办理这项业务。', en: 'The teller has stopped this business.'},
  abandoned: {'zh-CN': '通话已结束。', en: 'The session has ended.'},
};

/** @type {Record<string, Pair>} account types of a company application */
const ACCOUNT_TYPES = {
  basic: {'zh-CN': '基本存款', en: 'basic deposit'},
  general: {'zh-CN': '一般存款', en: 'general deposit'},
  special: {'zh-CN': '专用存款', en: 'special deposit'},
  temporary: {'zh-CN': '临时存款', en: 'temporary deposit'},
};

/** @type {Record<string, Pair>} the built-in willingness script (video_bank/flows/script.py), by question id */
const SCRIPT = {
  identity_and_role: {'zh-CN': '您是{company}的法定代表人{representative}吗？', en: 'Are you {representative}, the legal representative of {company}?'},
  knows_and_agrees: {'zh-CN': '您是否知道{company}正在我行申请开立{account_type}账户，并且同意？', en: 'Do you know that {company} is applying to open a {account_type} account with our bank, and do you agree to it?'},
  documents_truthful: {'zh-CN': '为这次申请提交的所有材料和信息是否真实、完整、有效？', en: 'Are all the documents and information submitted for this application true, complete and valid?'},
  renting_lending_illegal: {'zh-CN': '您是否知道出租、出借、出售或购买银行账户是违法的，可能要承担刑事责任？', en: 'Do you understand that renting out, lending, selling or buying a bank account is illegal and may lead to criminal liability?'},
  operator: {'zh-CN': '这个账户是否只由您本人或{company}书面授权的人员使用？', en: 'Will the account be operated only by you or by staff {company} has authorised in writing?'},
  own_free_will: {'zh-CN': '您开立这个账户是出于自愿，没有人要求您替他人开户吗？', en: 'Are you opening this account of your own free will, without anyone asking you to do it for them?'},
  final_confirmation: {'zh-CN': '我确认以上回答真实，并同意{company}在贵行开立这个{account_type}账户。', en: 'I confirm that my answers are true and that I want {company} to open this {account_type} account.'},
};

/** @type {Record<string, Pair>} customer flow messages (video_bank/flows/outputs.py MESSAGE_CODES) */
const CUSTOMER = {
  consent_request: {'zh-CN': '本次视频会录像，并会把您的面部与您的证件照片比对，确认是您本人。请回答下面两个问题。', en: 'This video session is recorded, and your face is compared with your ID photo to confirm it is you. Please answer both questions.'},
  enter_resident_id: {'zh-CN': '请输入您的身份证号码。', en: 'Please enter your resident ID number.'},
  customer_not_found: {'zh-CN': '没有找到这个身份证号码，请核对后重新输入。', en: 'We could not find this ID number. Please check it and enter it again.'},
  identified: {'zh-CN': '谢谢。柜员接下来会核验是否是您本人。', en: 'Thank you. The teller will now verify that it is you.'},
  verification_in_review: {'zh-CN': '请稍等，柜员正在复核。', en: 'Please wait a moment while the teller reviews the check.'},
  verification_passed: {'zh-CN': '谢谢，您的身份已确认。', en: 'Thank you, your identity is confirmed.'},
  verification_retry: {'zh-CN': '我们再试一次。', en: 'Let us try that once more.'},
  wait_for_teller: {'zh-CN': '请稍候，柜员正在为您办理。', en: 'Please wait: the teller is working on it.'},
  enter_pin: {'zh-CN': '请为您的卡 {card} 设置6位交易密码，输入两次。', en: 'Choose a 6-digit PIN for your card {card} and enter it twice.'},
  card_activated: {'zh-CN': '您的社保卡金融功能已经激活。', en: 'Your card is now active.'},
  enter_password: {'zh-CN': '请为账户 {account} 设置新的6位密码，输入两次。', en: 'Choose a new 6-digit password for account {account} and enter it twice.'},
  password_reset: {'zh-CN': '您的新密码已经设置好了。', en: 'Your new password is set.'},
  enter_details: {'zh-CN': '请输入新的手机号码或地址（也可以两个都填）。', en: 'Enter your new mobile number and/or address.'},
  details_rejected: {'zh-CN': '柜员请您再核对一下资料：{reason}', en: 'The teller asks you to check the details: {reason}'},
  details_updated: {'zh-CN': '您的资料已经更新。', en: 'Your details are updated.'},
  question: {'zh-CN': '{text}', en: '{text}'},
  answer_again: {'zh-CN': '请重新回答这个问题：在屏幕上点选，并大声说出来。', en: 'Please answer this question again, on screen and aloud.'},
  final_confirmation: {'zh-CN': '{text}', en: '{text}'},
  willingness_confirmed: {'zh-CN': '开户意愿已经确认。', en: 'The account opening is confirmed.'},
  rejected: {'zh-CN': '开户意愿没有确认。', en: 'The account opening is not confirmed.'},
  card_approved: {'zh-CN': '卡片已审核通过。', en: 'The card is approved.'},
  card_rejected: {'zh-CN': '卡片没有通过审核，已被冻结。', en: 'The card is not approved and has been frozen.'},
  action_failed: {'zh-CN': '抱歉，这项操作没有完成。', en: 'Sorry, this could not be completed.'},
  flow_finished: {'zh-CN': '业务已结束。', en: 'The business has ended.'},
  branch_instructions: {'zh-CN': '您也可以到我行网点办理。', en: 'You can also do this at one of our branches.'},
  rate_service: {'zh-CN': '您对今天的服务满意吗？请打1到5分。', en: 'How was our service today? Please rate it from 1 to 5.'},
};

/** @type {Record<string, Pair>} teller flow messages */
const TELLER = {
  waiting_for_consent: {'zh-CN': '等待客户回答同意事项。', en: 'Waiting for the customer’s consent.'},
  consent_recorded: {'zh-CN': '客户已回答同意事项。', en: 'Consent answered.'},
  identify_customer: {'zh-CN': '请等待客户输入身份证号码，或查询客户。', en: 'Wait for the customer’s ID number, or look the customer up.'},
  customer_not_found: {'zh-CN': '没有客户使用这个身份证号码。', en: 'No customer has this ID number.'},
  customer_profile: {'zh-CN': '已识别客户。', en: 'Customer identified.'},
  verification_required: {'zh-CN': '请开始视频核验。', en: 'Start the video verification.'},
  verification_review: {'zh-CN': '核验需要您复核：请接受，或写明原因后拒绝。', en: 'The verification needs your review: accept or reject it with a reason.'},
  verification_passed: {'zh-CN': '核验通过。', en: 'Verification passed.'},
  verification_failed: {'zh-CN': '核验没有通过，可以再试一次。', en: 'Verification failed; you may try again.'},
  confirm_card: {'zh-CN': '请与客户核对卡片和资料，然后确认卡片。', en: 'Check the card and the customer’s details with the customer, then confirm the card.'},
  waiting_for_pin: {'zh-CN': '客户正在手机上设置密码。', en: 'The customer is setting the PIN on their phone.'},
  pin_rejected: {'zh-CN': '密码不符合规则，客户已看到原因。', en: 'The PIN was refused; the customer is told why.'},
  card_activated: {'zh-CN': '卡片已激活。', en: 'The card is active.'},
  confirm_account: {'zh-CN': '请与客户确认要重置密码的账户。', en: 'Confirm with the customer which account’s password to reset.'},
  waiting_for_password: {'zh-CN': '客户正在手机上设置密码。', en: 'The customer is setting the password on their phone.'},
  password_reset: {'zh-CN': '密码已重置。', en: 'The password is reset.'},
  waiting_for_details: {'zh-CN': '客户正在输入新的资料。', en: 'The customer is entering the new details.'},
  review_details: {'zh-CN': '请把新资料读给客户听，然后确认，或写明原因退回。', en: 'Read the new details back to the customer, then confirm or send them back with a reason.'},
  details_updated: {'zh-CN': '资料已更新。', en: 'The details are updated.'},
  choose_application: {'zh-CN': '请选择要核实的开户申请。', en: 'Choose the account-opening application to check.'},
  not_legal_representative: {'zh-CN': '视频中的人不是该企业的法定代表人，核实不能继续。', en: 'The person on video is not this company’s legal representative; the check cannot go on.'},
  application: {'zh-CN': '{company_name}的开户申请。', en: 'Application of {company_name}.'},
  script_question: {'zh-CN': '{text}', en: '{text}'},
  answer_received: {'zh-CN': '客户点了“{answer}”。请确认与口头回答一致。', en: 'The customer tapped {answer}. Confirm it matches the spoken answer.'},
  waiting_for_final_confirmation: {'zh-CN': '等待客户最后确认。', en: 'Waiting for the customer’s final confirmation.'},
  willingness_confirmed: {'zh-CN': '开户已确认。', en: 'The account opening is confirmed.'},
  rejected: {'zh-CN': '开户没有确认。', en: 'The account opening is not confirmed.'},
  review_card: {'zh-CN': '请与客户核对卡片和申请，然后批准，或选择原因拒绝。', en: 'Check the card and the application with the customer, then approve, or reject with a reason code.'},
  card_approved: {'zh-CN': '卡片已审核通过。', en: 'The card is approved.'},
  card_rejected: {'zh-CN': '卡片没有通过审核，已被冻结。', en: 'The card is not approved and has been frozen.'},
  action_failed: {'zh-CN': '核心系统拒绝了这项操作，没有做任何修改：{reason}', en: 'Core banking refused this; nothing was changed: {reason}'},
  flow_finished: {'zh-CN': '流程已结束：{outcome}。', en: 'The flow ended: {outcome}.'},
  wrap_up: {'zh-CN': '请选择结束代码。', en: 'Choose a wrap-up code.'},
};

/** @type {Record<string, Pair>} WebSocket close codes (docs/protocol.md, "Close codes") */
const CLOSES = {
  1001: {'zh-CN': '服务正在重启，请一分钟后再试。', en: 'The service is restarting. Please try again in a minute.'},
  1009: {'zh-CN': '发送的内容太大，连接已断开。', en: 'What was sent was too large, so the connection closed.'},
  1011: {'zh-CN': '服务出了问题，连接已断开。', en: 'The service had a problem, so the connection closed.'},
  4001: {'zh-CN': '连接没有按规定开始，已断开。', en: 'The connection did not start properly and was closed.'},
  4008: {'zh-CN': '尝试次数过多，请稍后再试。', en: 'Too many failed attempts. Please wait and try again.'},
  4009: {'zh-CN': '网络太慢，连接已断开。', en: 'The connection was too slow and was closed.'},
  4010: {'zh-CN': '这个账号已在别处登录。', en: 'This account signed in somewhere else.'},
  4029: {'zh-CN': '发送的消息过于频繁，连接已断开。', en: 'Too many messages were sent, so the connection closed.'},
  4011: {'zh-CN': '通话已在另一个连接上继续。', en: 'The call went on in another connection.'},
};

/**
 * @param {string} lang
 * @returns {Lang} `en` for any English tag, else Chinese
 */
function pick(lang) {
  return lang.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

/**
 * @param {string} template
 * @param {Params} params
 * @returns {string} with `{name}` filled (as text) and unknown placeholders left out
 */
function fill(template, params) {
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    const value = params[name];
    return value === undefined || value === null ? '' : String(value);
  });
}

/**
 * The sentence for a server error code.
 * @param {string} code `error.code` (or the page's own `closed` / `client_error`)
 * @param {string} lang the page language
 * @param {Params} [params] `error.params`
 * @returns {string}
 */
export function errorText(code, lang, params = {}) {
  const language = pick(lang);
  if (code === 'invalid_callback' && params.hours) {
    const hours = String(params.hours).replace('-', '–');
    return fill(ERRORS['invalid_callback.hours'][language], {hours});
  }
  if (code === 'step_required' && typeof params.step === 'string') {
    return ERRORS.step_required[language];
  }
  const entry = ERRORS[code] ?? ERRORS.client_error;
  return fill(entry[language], params);
}

/**
 * The sentence for a server error code on a staff page: the staff wording, else the shared one; for
 * a code this module does not know yet, the server's own (English) text on an English page and a
 * sentence naming the code on a Chinese one.
 * @param {string} code `error.code`, a flow refusal or a `verification_refused.reason`
 * @param {string} lang the page language
 * @param {string} [message] the server's own text
 * @param {Params} [params] `error.params`
 * @returns {string}
 */
export function staffErrorText(code, lang, message = '', params = {}) {
  const language = pick(lang);
  const staff = STAFF_ERRORS[code];
  if (staff) {
    return fill(staff[language], params);
  }
  if (ERRORS[code]) {
    return errorText(code, language, params);
  }
  return language === 'en' && message.trim() ? sentence(message) : fill(STAFF_UNKNOWN[language], {code});
}

/**
 * The sentence for one `flow_message`, or null for an unknown code.
 * @param {'customer'|'teller'} audience
 * @param {string} code `flow_message.code`
 * @param {string} lang
 * @param {Record<string, any>} [data] `flow_message.data`, plus `business` (from `flow_state`) and
 *   `text` (the server's own text: used for a bank's own willingness script only)
 * @returns {string|null}
 */
export function flowMessageText(audience, code, lang, data = {}) {
  const language = pick(lang);
  const table = audience === 'teller' ? TELLER : CUSTOMER;
  const entry = table[code];
  if (!entry) {
    return null;
  }
  const params = {...data};
  if (typeof data.account_type === 'string' && ACCOUNT_TYPES[data.account_type]) {
    params.account_type = ACCOUNT_TYPES[data.account_type][language];
  }
  switch (code) {
    case 'wait_for_teller':
      return businessSentence(data.business, 'waiting', language) ?? entry[language];
    case 'branch_instructions':
      return businessSentence(data.business, 'branch', language) ?? entry[language];
    case 'flow_finished':
      if (audience === 'customer') {
        return (FINISHED[data.status] ?? entry)[language];
      }
      return fill(entry[language], {outcome: String(data.outcome ?? '').replaceAll('_', ' ')});
    case 'question':
    case 'script_question':
    case 'final_confirmation': {
      const key = code === 'final_confirmation' ? 'final_confirmation' : String(data.question_id ?? '');
      const built = data.script === 'default' && SCRIPT[key] ? fill(SCRIPT[key][language], params) : null;
      return built ?? String(data.text ?? '');
    }
    case 'answer_received': {
      const answer = data.answer === 'yes' ? {'zh-CN': '是', en: 'yes'} : {'zh-CN': '否', en: 'no'};
      return fill(entry[language], {answer: answer[language]});
    }
    case 'action_failed':
      return audience === 'teller' ?
        fill(entry[language], {reason: errorText(String(data.code ?? ''), language)}) : entry[language];
    default:
      return fill(entry[language], params);
  }
}

/**
 * Why a WebSocket closed, in plain words.
 * @param {number} closeCode `CloseEvent.code`
 * @param {string} lang
 * @returns {string}
 */
export function closeReasonText(closeCode, lang) {
  return (CLOSES[closeCode] ?? ERRORS.closed)[pick(lang)];
}

/**
 * Whether `code` has its own sentence in `lang` (tests: no code falls back silently).
 * @param {'error'|'staff'|'customer'|'teller'|'close'} kind `staff`: {@link staffErrorText}'s own
 *   wording (or, for a code without one, the shared sentence)
 * @param {string|number} code
 * @param {string} lang
 * @returns {boolean}
 */
export function hasText(kind, code, lang) {
  const table = {error: ERRORS, customer: CUSTOMER, teller: TELLER, close: CLOSES}[kind];
  const entry = kind === 'staff' ? STAFF_ERRORS[code] ?? ERRORS[code] : table?.[code];
  const text = entry?.[/** @type {Lang} */ (lang)];
  return typeof text === 'string' && text.trim() !== '' && (lang !== 'zh-CN' || /[\u4e00-\u9fff]|\{text\}/.test(text));
}
