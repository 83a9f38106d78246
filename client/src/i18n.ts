import { findCapability, findCategory, findCertification } from '../../models/catalog';
import { findProvince } from '../../models/provinces';

/** UI languages: Simplified Chinese and English. */
export type Lang = 'zh' | 'en';

const en = {
  'app.name': 'Fuchan',
  'app.tagline': 'Production capacity matching',
  'app.signOut': 'Sign out',
  'app.switchLanguage': 'Switch language',
  'app.loading': 'Loading…',
  'app.skip': 'Skip to content',
  'conn.connected': 'Live',
  'conn.connecting': 'Connecting…',
  'conn.reconnecting': 'Reconnecting…',
  'conn.offline': 'Offline',
  'conn.label': 'Live connection: {state}',
  'role.supplier': 'Supplier',
  'role.buyer': 'Buyer',
  'role.coordinator': 'Coordinator',
  'role.admin': 'Administrator',
  'ws.supplier': 'Supplier workspace',
  'ws.buyer': 'Buyer workspace',
  'ws.coordinator': 'Coordination board',

  'auth.signIn': 'Sign in',
  'auth.signingIn': 'Signing in…',
  'auth.register': 'Register',
  'auth.registering': 'Registering…',
  'auth.registerTitle': 'Register your organization',
  'auth.email': 'Email',
  'auth.password': 'Password',
  'auth.passwordHint': 'At least 8 characters',
  'auth.name': 'Contact name',
  'auth.role': 'Account type',
  'auth.roleSupplierHint': 'a factory offering production capacity',
  'auth.roleBuyerHint': 'an organization that needs goods',
  'auth.orgSection': 'Organization',
  'auth.orgName': 'Organization name',
  'auth.region': 'Province',
  'auth.selectProvince': 'Choose a province',
  'auth.lat': 'Latitude',
  'auth.lng': 'Longitude',
  'auth.locationHint': 'Defaults to the provincial capital; adjust it to your site.',
  'auth.certs': 'Certifications held',
  'auth.toRegister': 'New here? Register your organization',
  'auth.toSignIn': 'Already registered? Sign in',
  'auth.welcome': "Match factories' spare capacity with urgent demand, province by province.",
  'auth.badLogin': 'Wrong email or password.',
  'auth.emailTaken': 'This email is already registered.',

  'common.save': 'Save',
  'common.cancel': 'Cancel',
  'common.edit': 'Edit',
  'common.withdraw': 'Withdraw',
  'common.optional': 'optional',
  'common.all': 'All',
  'common.working': 'Working…',
  'common.show': 'Show details',
  'common.hide': 'Hide details',
  'common.unitsGeneric': 'units',
  'common.perDay': '{n} a day',
  'common.day': '{n} day',
  'common.days': '{n} days',
  'common.km': '{n} km',
  'common.more': '{n} more',
  'common.updated': 'Updated {time}',

  'err.generic': 'Something went wrong; please try again.',
  'err.network': 'Cannot reach the server; check the connection and try again.',
  'err.conflict': 'This changed in the meantime: {message}',
  'err.forbidden': 'You are not allowed to do this.',
  'err.notFound': 'It no longer exists.',
  'err.rateLimited': 'Too many requests; wait a minute and try again.',
  'err.dbDown': 'The service is briefly unavailable; try again in a few seconds.',
  'err.fixFields': 'Please correct the marked fields.',
  'err.session': 'Your session has ended; please sign in again.',

  'val.required': 'Required',
  'val.number': 'Enter a number',
  'val.integer': 'Enter a whole number',
  'val.min': 'Must be at least {n}',
  'val.gt': 'Must be more than {n}',
  'val.max': 'Must be at most {n}',
  'val.lt': 'Must be less than {n}',
  'val.minLength': 'At least {n} characters',
  'val.maxLength': 'At most {n} characters',
  'val.minItems': 'Choose at least {n}',
  'val.maxItems': 'At most {n} entries',
  'val.email': 'Enter a valid email address',
  'val.date': 'Enter a valid date',
  'val.choice': 'Choose one of the options',
  'val.future': 'Must be in the future',
  'val.toAfterFrom': 'Must be after the start date',
  'val.invalid': 'Invalid value',
  'val.unknownKey': 'Not accepted here',

  'offer.postTitle': 'Post production capacity',
  'offer.editTitle': 'Edit capacity offer',
  'offer.products': 'Products and daily output',
  'offer.category': 'Product',
  'offer.unitsPerDay': 'Units per day',
  'offer.addProduct': 'Add another product',
  'offer.removeProduct': 'Remove product',
  'offer.capabilities': 'Production capabilities',
  'offer.capHint': 'Capabilities let buyers find you for products you can convert your lines to.',
  'offer.addNeeded': 'Add what {product} needs',
  'offer.availableFrom': 'Available from',
  'offer.availableTo': 'Available until',
  'offer.minOrder': 'Minimum order (units)',
  'offer.price': 'Price per unit (CNY)',
  'offer.leadDays': 'Days to convert a line',
  'offer.leadHint': "Leave empty to use the catalog's typical conversion time.",
  'offer.certs': 'Certifications for this offer',
  'offer.submit': 'Post capacity',
  'offer.saveChanges': 'Save changes',
  'offer.posted': 'Capacity posted; matching has started.',
  'offer.updated': 'Offer updated; matching again.',
  'offer.mine': 'My capacity offers',
  'offer.none': 'No offers yet. Post your first capacity with the form.',
  'offer.committed': 'Committed',
  'offer.proposed': 'Proposed',
  'offer.free': 'Free',
  'offer.remaining': 'Remaining',
  'offer.total': 'Capacity',
  'offer.window': 'Available',
  'offer.proposals': 'Proposals and orders',
  'offer.noProposals': 'No proposals yet; they appear here as soon as a demand fits.',
  'offer.withdrawConfirm': 'Withdraw this offer? Confirmed orders stay.',
  'offer.withdrawn': 'Offer withdrawn.',
  'offer.status.open': 'Open',
  'offer.status.fulfilled': 'Fully booked',
  'offer.status.withdrawn': 'Withdrawn',
  'offer.status.expired': 'Expired',

  'demand.postTitle': 'Post a demand',
  'demand.category': 'Product needed',
  'demand.quantity': 'Quantity',
  'demand.deadline': 'Needed by',
  'demand.deliverTo': 'Deliver to (province)',
  'demand.deliveryPoint': 'Delivery point: {place}',
  'demand.ownSite': 'your registered site',
  'demand.requiredCerts': 'Required certifications',
  'demand.categoryCerts': 'Always required for this product: {certs}',
  'demand.maxPrice': 'Maximum price per unit (CNY)',
  'demand.priority': 'Priority',
  'demand.submit': 'Post demand',
  'demand.posted': 'Demand posted; matching has started.',
  'demand.mine': 'My demands',
  'demand.none': 'No demands yet. Post what you need with the form.',
  'demand.confirmed': 'Confirmed',
  'demand.proposed': 'Proposed',
  'demand.short': 'Still short',
  'demand.delivered': 'Delivered',
  'demand.deadlineIs': 'Needed by {date}',
  'demand.suppliers': 'Proposed suppliers and orders',
  'demand.nearMisses': 'Why no supplier fits yet',
  'demand.noMatches': 'No supplier fits yet; matching goes on as new capacity is posted.',
  'demand.withdrawConfirm': 'Withdraw this demand? Confirmed orders stay.',
  'demand.withdrawn': 'Demand withdrawn.',
  'demand.covered': 'Covered',
  'priority.critical': 'Critical',
  'priority.high': 'High',
  'priority.normal': 'Normal',

  'near.category': 'Does not make this product and cannot convert to it',
  'near.certification': 'Lacks a required certification',
  'near.time': 'Cannot deliver before the deadline',
  'near.price': 'Asks more than your maximum price',
  'near.min_order': 'Your quantity is below their minimum order',
  'near.capacity': 'No free capacity left',
  'near.declined': 'Declined before',
  'near.lapsed': 'An earlier proposal lapsed unanswered',
  'near.other': 'Does not fit',

  'match.score': 'Match {score}',
  'match.scoreLabel': 'Match score',
  'match.status.proposed': 'Proposed',
  'match.status.accepted_by_buyer': 'Accepted by buyer',
  'match.status.accepted_by_supplier': 'Accepted by supplier',
  'match.status.confirmed': 'Confirmed',
  'match.status.in_production': 'In production',
  'match.status.shipped': 'Shipped',
  'match.status.delivered': 'Delivered',
  'match.status.declined': 'Declined',
  'match.status.cancelled': 'Cancelled',
  'match.status.expired': 'Expired',
  'match.status.withdrawn': 'Withdrawn',
  'match.accept': 'Accept',
  'match.decline': 'Decline',
  'match.startProduction': 'Start production',
  'match.ship': 'Mark shipped',
  'match.deliver': 'Confirm delivery',
  'match.cancel': 'Cancel order',
  'match.cancelConfirm': 'Cancel this order? Its reserved units are released.',
  'match.waitingBuyer': 'Waiting for the buyer',
  'match.waitingSupplier': 'Waiting for the supplier',
  'match.from': 'Supplier',
  'match.for': 'Buyer',
  'match.closed': 'Closed',
  'match.showClosed': 'Show {n} closed',
  'match.hideClosed': 'Hide closed',
  'match.due': 'Units due {date}',
  'match.answerBy': 'Answer by {time}',
  'match.reason': 'Reason: {reason}',
  'match.lapsed.buyer': 'The buyer did not answer in time',
  'match.lapsed.supplier': 'The supplier did not answer in time',
  'match.lapsed.both': 'Neither side answered in time',
  'note.side.buyer': 'buyer',
  'note.side.supplier': 'supplier',
  'note.moreUrgent': 'a more urgent demand ({priority}) took these units',
  'note.lapsedHold': "lapsed: the {side} did not answer within {n} minutes of the other side's acceptance",
  'note.lapsedNobody': 'lapsed: nobody answered within {n} hours',
  'note.lineFull': 'its line has no units left by the date they are due',
  'note.offerChanged': 'the offer changed; please review the new terms',
  'note.demandChanged': 'the demand changed; please review the new terms',
  'note.offerNoUnits': 'the offer has no units left for it',
  'note.demandCovered': 'the demand is covered',
  'note.globalAllocation': 'replaced by the global allocation',
  'note.deadlinePassed': 'the deadline passed',
  'note.offerExpired': 'the offer expired',
  'note.offerWithdrawn': 'the offer was withdrawn',
  'note.demandWithdrawn': 'the demand was withdrawn',
  'line.title': 'Daily output by line',
  'line.name': '{product} line · {perDay}',
  'line.chartAria': 'Daily output of the {product} line from {from} to {to}: {committed} committed, {proposed} proposed, {free} free',
  'line.empty': 'No production days in this offer window.',

  'part.capability': 'Capability',
  'part.coverage': 'Coverage',
  'part.distance': 'Distance',
  'part.leadTime': 'Lead time',
  'part.price': 'Price',
  'part.reliability': 'Reliability',
  'explain.title': 'Why this match',
  'explain.direct': 'Makes {product} already',
  'explain.conversion': 'Converts its lines to {product} in {days}',
  'explain.coverage': 'Covers {pct} of what is still needed ({units})',
  'explain.distance': '{km} away, about {days} in transit',
  'explain.start': 'Production can start {date}',
  'explain.price': '{price} per unit, maximum {max}',
  'explain.priceNoMax': '{price} per unit',
  'explain.priceUnknown': 'No price stated',
  'explain.reliability': 'Reliability {pct}',

  'co.filters': 'Filters',
  'co.region': 'Province',
  'co.category': 'Product',
  'co.allRegions': 'All provinces',
  'co.allCategories': 'All products',
  'co.clearFilters': 'Clear filters',
  'co.headline': '{demanded} demanded, {matched} matched, {confirmed} confirmed',
  'co.demanded': 'Demanded',
  'co.proposed': 'Proposed',
  'co.confirmed': 'Confirmed',
  'co.delivered': 'Delivered',
  'co.shortage': 'Shortage',
  'co.supply': 'Spare capacity',
  'co.feed': 'Live matches',
  'co.feedEmpty': 'Waiting for matches…',
  'co.coverage': 'Coverage by product',
  'co.shortages': 'Most urgent shortages',
  'co.noShortage': 'No shortage for this selection.',
  'co.critical': 'Critical',
  'co.earliest': 'Earliest deadline',
  'co.openDemands': 'Open demands',
  'co.map': 'Supply and demand by province',
  'co.mapHint': 'Select a province to filter the board.',
  'co.metric': 'Show',
  'co.optimize': 'Run global allocation',
  'co.optimizing': 'Optimizing; this can take a while…',
  'co.optTitle': 'Last allocation run',
  'co.optCreated': 'Proposals created',
  'co.optWithdrawn': 'Proposals withdrawn',
  'co.optKept': 'Proposals kept',
  'co.optUnits': 'Units allocated',
  'co.optWeighted': 'Weighted units',
  'co.optSolve': 'Solver time',
  'co.optPostings': 'Demands and offers considered',
  'co.ms': '{n} ms',
  'co.chartAria': 'Bar chart of demanded, proposed, confirmed and delivered units per product',
  'co.rowsHidden': 'Showing the {n} products with the largest demand.',
} as const;

export type Key = keyof typeof en;

const zh: Record<Key, string> = {
  'app.name': '复产',
  'app.tagline': '产能供需对接平台',
  'app.signOut': '退出登录',
  'app.switchLanguage': '切换语言',
  'app.loading': '加载中…',
  'app.skip': '跳到主要内容',
  'conn.connected': '实时连接',
  'conn.connecting': '连接中…',
  'conn.reconnecting': '正在重连…',
  'conn.offline': '已离线',
  'conn.label': '实时连接状态：{state}',
  'role.supplier': '供应方',
  'role.buyer': '需求方',
  'role.coordinator': '协调员',
  'role.admin': '管理员',
  'ws.supplier': '供应方工作台',
  'ws.buyer': '需求方工作台',
  'ws.coordinator': '协调指挥看板',

  'auth.signIn': '登录',
  'auth.signingIn': '正在登录…',
  'auth.register': '注册',
  'auth.registering': '正在注册…',
  'auth.registerTitle': '注册企业账户',
  'auth.email': '电子邮箱',
  'auth.password': '密码',
  'auth.passwordHint': '至少 8 个字符',
  'auth.name': '联系人姓名',
  'auth.role': '账户类型',
  'auth.roleSupplierHint': '提供生产产能的工厂',
  'auth.roleBuyerHint': '需要采购物资的单位',
  'auth.orgSection': '企业信息',
  'auth.orgName': '企业名称',
  'auth.region': '所在省份',
  'auth.selectProvince': '请选择省份',
  'auth.lat': '纬度',
  'auth.lng': '经度',
  'auth.locationHint': '默认为省会城市坐标，可按实际厂址调整。',
  'auth.certs': '已取得的资质认证',
  'auth.toRegister': '还没有账户？注册企业',
  'auth.toSignIn': '已有账户？直接登录',
  'auth.welcome': '按省份对接工厂闲置产能与紧急物资需求。',
  'auth.badLogin': '邮箱或密码错误。',
  'auth.emailTaken': '该邮箱已注册。',

  'common.save': '保存',
  'common.cancel': '取消',
  'common.edit': '修改',
  'common.withdraw': '撤回',
  'common.optional': '选填',
  'common.all': '全部',
  'common.working': '处理中…',
  'common.show': '展开详情',
  'common.hide': '收起详情',
  'common.unitsGeneric': '单位',
  'common.perDay': '每天 {n}',
  'common.day': '{n} 天',
  'common.days': '{n} 天',
  'common.km': '{n} 公里',
  'common.more': '另有 {n} 项',
  'common.updated': '更新于 {time}',

  'err.generic': '出错了，请重试。',
  'err.network': '无法连接服务器，请检查网络后重试。',
  'err.conflict': '数据已被他人更改，请查看最新状态后重试。',
  'err.forbidden': '您没有执行此操作的权限。',
  'err.notFound': '该记录已不存在。',
  'err.rateLimited': '请求过于频繁，请稍候再试。',
  'err.dbDown': '服务暂时不可用，请几秒后重试。',
  'err.fixFields': '请修正标出的字段。',
  'err.session': '登录已过期，请重新登录。',

  'val.required': '必填',
  'val.number': '请输入数字',
  'val.integer': '请输入整数',
  'val.min': '不能小于 {n}',
  'val.gt': '必须大于 {n}',
  'val.max': '不能大于 {n}',
  'val.lt': '必须小于 {n}',
  'val.minLength': '至少 {n} 个字符',
  'val.maxLength': '最多 {n} 个字符',
  'val.minItems': '至少选择 {n} 项',
  'val.maxItems': '最多 {n} 项',
  'val.email': '请输入有效的电子邮箱',
  'val.date': '请输入有效日期',
  'val.choice': '请从选项中选择',
  'val.future': '必须晚于当前时间',
  'val.toAfterFrom': '必须晚于开始日期',
  'val.invalid': '无效的值',
  'val.unknownKey': '此处不接受该字段',

  'offer.postTitle': '发布产能',
  'offer.editTitle': '修改产能信息',
  'offer.products': '产品及日产能',
  'offer.category': '产品品类',
  'offer.unitsPerDay': '日产量',
  'offer.addProduct': '再添加一个产品',
  'offer.removeProduct': '移除该产品',
  'offer.capabilities': '生产工艺能力',
  'offer.capHint': '填写工艺能力后，可为您匹配可转产的产品需求。',
  'offer.addNeeded': '添加{product}所需工艺',
  'offer.availableFrom': '可供货起始日',
  'offer.availableTo': '可供货截止日',
  'offer.minOrder': '最小起订量',
  'offer.price': '单价（元）',
  'offer.leadDays': '转产所需天数',
  'offer.leadHint': '留空则按产品目录中的典型转产时间计算。',
  'offer.certs': '本批产能具备的资质认证',
  'offer.submit': '发布产能',
  'offer.saveChanges': '保存修改',
  'offer.posted': '产能已发布，正在匹配需求。',
  'offer.updated': '产能信息已更新，正在重新匹配。',
  'offer.mine': '我的产能',
  'offer.none': '暂无产能信息，请先通过表单发布产能。',
  'offer.committed': '已确认',
  'offer.proposed': '待确认',
  'offer.free': '可用',
  'offer.remaining': '未锁定',
  'offer.total': '总产能',
  'offer.window': '供货期',
  'offer.proposals': '匹配提案与订单',
  'offer.noProposals': '暂无匹配提案，有合适的需求时会立即显示在这里。',
  'offer.withdrawConfirm': '确定撤回该产能吗？已确认的订单不受影响。',
  'offer.withdrawn': '产能已撤回。',
  'offer.status.open': '开放中',
  'offer.status.fulfilled': '已排满',
  'offer.status.withdrawn': '已撤回',
  'offer.status.expired': '已过期',

  'demand.postTitle': '发布需求',
  'demand.category': '所需物资',
  'demand.quantity': '需求数量',
  'demand.deadline': '最晚到货日期',
  'demand.deliverTo': '收货省份',
  'demand.deliveryPoint': '收货地点：{place}',
  'demand.ownSite': '本单位登记地址',
  'demand.requiredCerts': '要求的资质认证',
  'demand.categoryCerts': '该产品必须具备：{certs}',
  'demand.maxPrice': '最高单价（元）',
  'demand.priority': '紧急程度',
  'demand.submit': '发布需求',
  'demand.posted': '需求已发布，正在匹配供应方。',
  'demand.mine': '我的需求',
  'demand.none': '暂无需求，请通过表单发布所需物资。',
  'demand.confirmed': '已确认',
  'demand.proposed': '待确认',
  'demand.short': '缺口',
  'demand.delivered': '已送达',
  'demand.deadlineIs': '{date} 前到货',
  'demand.suppliers': '推荐供应方与订单',
  'demand.nearMisses': '暂无匹配的原因',
  'demand.noMatches': '暂无合适的供应方；有新产能发布时会继续匹配。',
  'demand.withdrawConfirm': '确定撤回该需求吗？已确认的订单不受影响。',
  'demand.withdrawn': '需求已撤回。',
  'demand.covered': '已满足',
  'priority.critical': '特急',
  'priority.high': '紧急',
  'priority.normal': '一般',

  'near.category': '不生产该产品，也无法转产',
  'near.certification': '缺少要求的资质认证',
  'near.time': '无法在截止日期前交付',
  'near.price': '报价高于您的最高单价',
  'near.min_order': '需求数量低于其最小起订量',
  'near.capacity': '已无剩余产能',
  'near.declined': '此前已拒绝',
  'near.lapsed': '此前的提议未获答复已失效',
  'near.other': '不符合条件',

  'match.score': '匹配度 {score}',
  'match.scoreLabel': '匹配度',
  'match.status.proposed': '待确认',
  'match.status.accepted_by_buyer': '需求方已接受',
  'match.status.accepted_by_supplier': '供应方已接受',
  'match.status.confirmed': '已确认',
  'match.status.in_production': '生产中',
  'match.status.shipped': '已发货',
  'match.status.delivered': '已送达',
  'match.status.declined': '已拒绝',
  'match.status.cancelled': '已取消',
  'match.status.expired': '已过期',
  'match.status.withdrawn': '已撤回',
  'match.accept': '接受',
  'match.decline': '拒绝',
  'match.startProduction': '开始生产',
  'match.ship': '标记已发货',
  'match.deliver': '确认收货',
  'match.cancel': '取消订单',
  'match.cancelConfirm': '确定取消该订单吗？已锁定的数量将被释放。',
  'match.waitingBuyer': '等待需求方确认',
  'match.waitingSupplier': '等待供应方确认',
  'match.from': '供应方',
  'match.for': '需求方',
  'match.closed': '已关闭',
  'match.showClosed': '显示 {n} 条已关闭记录',
  'match.hideClosed': '隐藏已关闭记录',
  'match.due': '需于 {date} 前生产完成',
  'match.answerBy': '请于 {time} 前答复',
  'match.reason': '原因：{reason}',
  'match.lapsed.buyer': '需求方未按时答复',
  'match.lapsed.supplier': '供应方未按时答复',
  'match.lapsed.both': '双方均未按时答复',
  'note.side.buyer': '需求方',
  'note.side.supplier': '供应方',
  'note.moreUrgent': '更紧急的需求（{priority}）占用了这批产能',
  'note.lapsedHold': '已失效：对方接受后，{side}未在 {n} 分钟内答复',
  'note.lapsedNobody': '已失效：双方均未在 {n} 小时内答复',
  'note.lineFull': '该产线在交付截止日前已无剩余产能',
  'note.offerChanged': '产能信息已变更，请查看新的条件',
  'note.demandChanged': '需求信息已变更，请查看新的条件',
  'note.offerNoUnits': '该产能已无剩余数量',
  'note.demandCovered': '该需求已满足',
  'note.globalAllocation': '已被全局调配方案替代',
  'note.deadlinePassed': '已过需求截止日期',
  'note.offerExpired': '该产能已过期',
  'note.offerWithdrawn': '该产能已撤回',
  'note.demandWithdrawn': '该需求已撤回',
  'line.title': '各产线每日产量',
  'line.name': '{product}产线 · {perDay}',
  'line.chartAria': '{product}产线 {from} 至 {to} 的每日产量：已确认 {committed}，待确认 {proposed}，可用 {free}',
  'line.empty': '该供货期内没有可生产的日期。',

  'part.capability': '工艺匹配',
  'part.coverage': '需求覆盖',
  'part.distance': '距离',
  'part.leadTime': '交付周期',
  'part.price': '价格',
  'part.reliability': '履约可靠度',
  'explain.title': '匹配理由',
  'explain.direct': '已在生产{product}',
  'explain.conversion': '转产{product}，需 {days}',
  'explain.coverage': '可满足剩余需求的 {pct}（{units}）',
  'explain.distance': '相距 {km}，运输约 {days}',
  'explain.start': '最早 {date} 开工',
  'explain.price': '单价 {price}，限价 {max}',
  'explain.priceNoMax': '单价 {price}',
  'explain.priceUnknown': '未报价',
  'explain.reliability': '履约可靠度 {pct}',

  'co.filters': '筛选',
  'co.region': '省份',
  'co.category': '品类',
  'co.allRegions': '全部省份',
  'co.allCategories': '全部品类',
  'co.clearFilters': '清除筛选',
  'co.headline': '需求 {demanded}，已匹配 {matched}，已确认 {confirmed}',
  'co.demanded': '需求总量',
  'co.proposed': '待确认',
  'co.confirmed': '已确认',
  'co.delivered': '已送达',
  'co.shortage': '缺口',
  'co.supply': '剩余产能',
  'co.feed': '实时匹配动态',
  'co.feedEmpty': '等待新的匹配…',
  'co.coverage': '各品类保障情况',
  'co.shortages': '紧缺排行',
  'co.noShortage': '当前筛选范围内没有缺口。',
  'co.critical': '特急缺口',
  'co.earliest': '最早截止',
  'co.openDemands': '未满足需求',
  'co.map': '各省供需分布',
  'co.mapHint': '选择省份可筛选整个看板。',
  'co.metric': '显示',
  'co.optimize': '运行全局优化调配',
  'co.optimizing': '正在优化调配，可能需要一些时间…',
  'co.optTitle': '最近一次优化调配',
  'co.optCreated': '新增提案',
  'co.optWithdrawn': '撤回提案',
  'co.optKept': '保留提案',
  'co.optUnits': '调配数量',
  'co.optWeighted': '加权保障量',
  'co.optSolve': '求解用时',
  'co.optPostings': '参与的需求与产能',
  'co.ms': '{n} 毫秒',
  'co.chartAria': '各品类需求、待确认、已确认与已送达数量柱状图',
  'co.rowsHidden': '仅显示需求量最大的 {n} 个品类。',
};

const dictionaries: Record<Lang, Record<Key, string>> = { en, zh };

/** Every English UI string, for the language test (no UI text on the Chinese screen may use these words). */
export const englishStrings: readonly string[] = Object.values(en);

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem('fuchan.lang');
    if (saved === 'zh' || saved === 'en') return saved;
  } catch {
    /* storage disabled */
  }
  const nav = typeof navigator !== 'undefined' ? navigator.languages?.[0] ?? navigator.language : 'zh-CN';
  return /^zh/i.test(nav ?? '') ? 'zh' : 'en';
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();

/** The current UI language. */
export function lang(): Lang {
  return current;
}

/** The BCP 47 tag for Intl and `<html lang>`. */
export function locale(): string {
  return current === 'zh' ? 'zh-CN' : 'en';
}

/** Switches the UI language, remembers it and redraws. */
export function setLang(next: Lang) {
  if (next === current) return;
  current = next;
  try {
    localStorage.setItem('fuchan.lang', next);
  } catch {
    /* storage disabled */
  }
  document.documentElement.lang = locale();
  for (const l of listeners) l();
}

/** Calls `fn` after every language switch; returns the unsubscribe. */
export function onLangChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** A UI string in the current language, with `{name}` placeholders filled. */
export function t(key: Key, params?: Record<string, string | number>): string {
  let s = dictionaries[current][key] ?? en[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
  return s;
}

const nf = new Map<string, Intl.NumberFormat>();
function numberFormat(opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const k = `${locale()}|${JSON.stringify(opts)}`;
  let f = nf.get(k);
  if (!f) {
    f = new Intl.NumberFormat(locale(), opts);
    nf.set(k, f);
  }
  return f;
}

/** 1,234,567 */
export function fmtInt(n: number): string {
  return numberFormat({ maximumFractionDigits: 0 }).format(n);
}

/** 19.83M / 1983万 */
export function fmtCompact(n: number): string {
  return numberFormat({ notation: 'compact', maximumFractionDigits: Math.abs(n) >= 1000 ? 2 : 0 }).format(n);
}

/** 83% from 0.83 */
export function fmtPct(share: number): string {
  return numberFormat({ style: 'percent', maximumFractionDigits: 0 }).format(share);
}

/** A relative change with its sign: "+0.3%" from 0.003. */
export function fmtChange(share: number): string {
  return numberFormat({ style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(share);
}

/** ¥12.50 */
export function fmtMoney(n: number): string {
  return numberFormat({ style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol', maximumFractionDigits: 2 }).format(n);
}

/** A date in the locale's medium style: "Dec 6, 2026" / "2026年12月6日". */
export function fmtDate(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso));
}

/** A time of day with seconds, for the live feed. */
export function fmtTime(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
}

/** A time of day, "14:30", in the viewer's time zone. */
export function fmtClock(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

/** A day and time, "Dec 6, 14:30" / "12月6日 14:30", in the viewer's time zone. */
export function fmtDayTime(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

/** A short day for chart axes: "12/6". */
export function fmtShortDay(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { month: 'numeric', day: 'numeric', timeZone: 'UTC' }).format(new Date(iso));
}

/** A calendar day given as 'YYYY-MM-DD', in the medium style (the day itself, whatever the time zone). */
export function fmtIsoDay(day: string): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(day));
}

/** A full date and time with the time zone, for tooltips. */
export function fmtFullTime(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'full', timeStyle: 'short' }).format(new Date(iso));
}

/** "in 5 days" / "5天后" */
export function fmtRelative(iso: string | number | Date, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const abs = Math.abs(diff);
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), 'hour');
  return rtf.format(Math.round(diff / 86_400_000), 'day');
}

/** "3 days" / "3 天". */
export function fmtDays(n: number): string {
  const rounded = Math.round(n * 10) / 10;
  return t(rounded === 1 ? 'common.day' : 'common.days', { n: numberFormat({ maximumFractionDigits: 1 }).format(rounded) });
}

/** "318 km" / "318 公里". */
export function fmtKm(n: number): string {
  return t('common.km', { n: fmtInt(n) });
}

/** A category's name in the UI language (the id if the catalog does not know it). */
export function categoryName(id: string): string {
  return findCategory(id)?.name[current] ?? id;
}

/** "1,000 pieces"-style quantity with the category's own unit. */
export function fmtUnits(n: number, categoryId?: string): string {
  const unit = categoryId ? findCategory(categoryId)?.unit[current] : undefined;
  if (current === 'zh') return `${fmtInt(n)} ${unit ?? t('common.unitsGeneric')}`;
  if (!unit) return `${fmtInt(n)} ${t('common.unitsGeneric')}`;
  if (n === 1 || unit === 'kg') return `${fmtInt(n)} ${unit}`;
  // pluralize the noun before any note in brackets: "bottles (500 mL)", "axle sets"
  return `${fmtInt(n)} ${unit.replace(/^([^(]*?)(\w+)(\s*\(.*)?$/, (_m, pre: string, noun: string, rest?: string) => `${pre}${noun}s${rest ?? ''}`)}`;
}

/** A capability's name from the catalog, in the UI language. */
export function capabilityName(id: string): string {
  return findCapability(id)?.name[current] ?? id;
}

/** A certification's name from the catalog, in the UI language. */
export function certificationName(id: string): string {
  return findCertification(id)?.name[current] ?? id;
}

/** A province's name from the bundled list, in the UI language. */
export function provinceName(id: string): string {
  return findProvince(id)?.name[current] ?? id;
}

/** Sorts by a localized label (pinyin order for Chinese). */
export function byLabel<T>(items: T[], label: (x: T) => string): T[] {
  const coll = new Intl.Collator(locale());
  return [...items].sort((a, b) => coll.compare(label(a), label(b)));
}
